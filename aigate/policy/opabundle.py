"""OPA bundles (``bundle.tar.gz``) as ``--policy``: bounded reading, manifest roots, signatures.

The format is OPA's (``opa build``; OPA's ``bundle/`` package): a gzipped tar of ``.rego`` files,
``data.json``/``data.yaml`` files whose directory is their path under ``data``, a ``.manifest``
(``revision``, ``roots``) and optionally ``.signatures.json``: ``{"signatures": [JWT]}``, one JWT
(RS256/384/512, PS256/384/512, ES256/384/512, HS256/384/512) whose payload lists every other
file as ``{"name", "hash", "algorithm"}``. As in OPA's ``bundle/hash.go``, a structured file
(``.manifest``, ``data.json``, ``data.yaml``: OPA's ``IsStructuredDoc``) is hashed over its parsed value — objects with
keys in sorted order, ``{"k":v,...}``, arrays ``[v,...]``, scalars as Go's JSON encoder writes
them — so re-formatting a data file does not change its hash but changing a value does; every
other file is hashed over its bytes.

Fail closed: when a key is given (``--policy-bundle-key``) the bundle must be signed by it; a
signed bundle without a key is refused too (it cannot be verified); a file that is missing from
the signature, listed but absent, or whose hash differs is a refused bundle (exit 2). Tar
members are bounded (count, per-file and total size) and must be regular files with relative
paths (no links, devices, ``..``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from aigate.errors import InputError, Position
from aigate.policy.interface import PolicyModule

MAX_MEMBERS = 2000
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
SIGNATURES = ".signatures.json"
MANIFEST = ".manifest"
_HASHES = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


@dataclass(frozen=True)
class OpaBundle:
    modules: tuple[PolicyModule, ...]
    tests: tuple[PolicyModule, ...]
    data: dict[str, Any]
    files: tuple[tuple[str, str], ...]  # (display name, sha256 of the bytes) of every data/manifest file
    revision: str
    roots: tuple[str, ...]
    signed: bool


def is_bundle(path: str) -> bool:
    return path.endswith((".tar.gz", ".tgz")) and Path(path).is_file()


@dataclass(frozen=True)
class BundleKey:
    """A key bundles must be signed with, as OPA's ``keys`` config holds one (``keyid``, ``scope``).

    ``material`` is a PEM public key or an HMAC secret; ``source`` names where it came from
    (the flag's file, or the policy data setting) for messages. ``key_id``: a JWT that names a
    key (header ``kid``, or the deprecated ``keyid`` claim) must name this one. ``scope``: the
    payload's ``scope`` must equal it (OPA: ``ds.Scope != scope`` is "scope mismatch", an
    absent scope being the empty string on both sides).
    """

    material: bytes
    source: str
    key_id: str | None = None
    scope: str | None = None


def key_from_file(key_file: str) -> BundleKey:
    try:
        raw = Path(key_file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the bundle key: {exc.strerror}", position=Position(key_file)) from None
    return BundleKey(raw, key_file)


def load_bundle(
    path: str,
    key_file: str | None = None,
    *,
    keys: tuple[BundleKey, ...] = (),
    defer_verification: bool = False,
) -> OpaBundle:
    """Read, verify and split one bundle; every failure is an InputError naming the bundle.

    The bundle is verified with every key given (the flag's file and ``keys``); with none, a
    signed bundle is refused. ``defer_verification``: not verified here; the caller reads it again
    with its keys once the policy data, which may name the key, is loaded.
    """
    files = read_tar(path)
    signed = SIGNATURES in files
    all_keys = tuple(keys)  # the organisation's key first: its failure is the one reported
    if key_file:  # the flag's key is held to the same key id and scope (one bundle config, as in OPA)
        flag = key_from_file(key_file)
        if keys:
            flag = BundleKey(flag.material, flag.source, keys[0].key_id, keys[0].scope)
        all_keys += (flag,)
    if defer_verification:
        pass  # the caller verifies once the policy data (which may name the key) is read
    elif all_keys:
        if not signed:
            raise InputError(
                f"the bundle is not signed, but a verification key is required ({all_keys[0].source})",
                position=Position(path),
            )
        for key in all_keys:
            verify_signature(path, files, key)
    elif signed:
        raise InputError(
            "the bundle is signed but no key was given to verify it",
            position=Position(path),
            hint="pass --policy-bundle-key PUBLIC_KEY.pem (or the HMAC secret file), or name the key in "
            "the policy data (policy_bundles.verification_key)",
        )
    manifest = _manifest(path, files)
    roots = tuple(str(r).strip("/") for r in manifest.get("roots", [""]))
    modules, tests, data, hashed = _contents(path, files, roots)
    return OpaBundle(
        tuple(modules), tuple(tests), data, tuple(hashed), str(manifest.get("revision", "")), roots, signed
    )


POLICY_DATA_KEY = "policy_bundles.verification_key"


def policy_data_key_file(policy: dict[str, Any], root: Path) -> Path | None:
    """The key file ``policy_bundles.verification_key`` names (relative to the project root; a
    ``@sha256:`` pin stripped), or None when the key is inline PEM text or not set. A file inside
    the project is a policy file: changing it in the range needs the policy-change approval."""
    section = policy.get("policy_bundles")
    if not isinstance(section, dict) or not section.get("verification_key"):
        return None
    spec = str(section["verification_key"])
    if spec.lstrip().startswith("-----BEGIN"):
        return None
    name, sep, _pin = spec.rpartition("@sha256:")
    fname = name if sep else spec
    return Path(fname) if Path(fname).is_absolute() else root / fname


def policy_data_key(policy: dict[str, Any], root: Path, base: str | None) -> BundleKey | None:
    """The key the organisation's policy data names for OPA bundles (``policy_bundles``), if any.

    ``verification_key`` is the PEM text itself, or a file (relative to the project root; a
    ``FILE@sha256:HEX`` pin is honoured) read from where the policy data's own files come from:
    a file inside the project is read as committed at the range base, so the release being
    judged cannot swap the key.
    """
    section = policy.get("policy_bundles")
    if not isinstance(section, dict) or not section.get("verification_key"):
        return None
    spec = str(section["verification_key"])
    key_id = str(section["key_id"]) if section.get("key_id") else None
    scope = str(section["scope"]) if section.get("scope") is not None else None
    if spec.lstrip().startswith("-----BEGIN"):
        return BundleKey(spec.encode(), POLICY_DATA_KEY, key_id, scope)
    from aigate.policydata import _data_bytes

    name, sep, pin = spec.rpartition("@sha256:")
    fname = name if sep else spec
    path = policy_data_key_file(policy, root)
    assert path is not None
    raw, _src, display = _data_bytes(f"{path}{sep}{pin}" if sep else str(path), root, base)
    if raw is None:
        raise InputError(
            f"{POLICY_DATA_KEY}: {fname} does not exist at the range base", position=Position(display)
        )
    return BundleKey(raw, f"{POLICY_DATA_KEY} ({display})", key_id, scope)


def read_tar(path: str) -> dict[str, bytes]:
    """The regular files of a gzipped tar, by normalised relative path, within the limits."""
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, "r|gz") as tar:
            for count, member in enumerate(tar, 1):
                if count > MAX_MEMBERS:
                    raise InputError(
                        f"the bundle has more than {MAX_MEMBERS} members", position=Position(path)
                    )
                if member.isdir():
                    continue
                name = _member_name(path, member)
                if member.size > MAX_FILE_BYTES or total + member.size > MAX_TOTAL_BYTES:
                    raise InputError(f"bundle member {name} is too large", position=Position(path))
                fobj = tar.extractfile(member)
                data = fobj.read(MAX_FILE_BYTES + 1) if fobj else b""
                total += len(data)
                if name in out:
                    raise InputError(f"bundle member {name} appears twice", position=Position(path))
                out[name] = data
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"not a readable OPA bundle (.tar.gz): {exc}", position=Position(path)) from None
    return out


def _member_name(path: str, member: tarfile.TarInfo) -> str:
    if not member.isreg():
        raise InputError(
            f"bundle member {member.name!r} is not a regular file (links and devices are refused)",
            position=Position(path),
        )
    raw = member.name
    # OPA's own bundles name files "/data.json": a leading slash is the bundle root, not the filesystem's
    parts = PurePosixPath(raw.lstrip("/")).parts
    if not parts or any(p in ("..", "") for p in parts) or "\\" in raw or "\0" in raw:
        raise InputError(f"bundle member {raw!r} has an unsafe path", position=Position(path))
    return "/".join(p for p in parts if p != ".")


def _manifest(path: str, files: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        return {}
    try:
        manifest = json.loads(files[MANIFEST])
    except (ValueError, UnicodeDecodeError):
        raise InputError(
            "the bundle's .manifest is not JSON", position=Position(f"{path}/{MANIFEST}")
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("roots", []), list):
        raise InputError(
            "the bundle's .manifest must be an object with a list of roots",
            position=Position(f"{path}/{MANIFEST}"),
        )
    if manifest.get("rego_version") == 0:
        raise InputError(
            "the bundle declares rego_version 0; aigate evaluates Rego v1 only",
            position=Position(f"{path}/{MANIFEST}"),
        )
    return manifest


def _contents(
    path: str, files: dict[str, bytes], roots: tuple[str, ...]
) -> tuple[list[PolicyModule], list[PolicyModule], dict[str, Any], list[tuple[str, str]]]:
    from aigate.policy.library import package_of

    modules: list[PolicyModule] = []
    tests: list[PolicyModule] = []
    data: dict[str, Any] = {}
    hashed: list[tuple[str, str]] = []
    for name in sorted(files):
        display = f"{path}/{name}"
        raw = files[name]
        base = PurePosixPath(name).name
        if name.endswith(".rego"):
            try:
                source = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("policy file is not valid UTF-8", position=Position(display)) from None
            module = PolicyModule(display, source, False, package_of(source, display))
            _check_root(display, module.package.replace(".", "/"), roots)
            (tests if name.endswith("_test.rego") else modules).append(module)
        elif base in ("data.json", "data.yaml"):
            value = _parse(display, raw)
            where = [p for p in PurePosixPath(name).parent.parts if p != "."]
            if where:
                _check_root(display, "/".join(where), roots)
            elif isinstance(value, dict):
                for key in value:
                    _check_root(display, str(key), roots)
            _merge(data, where, value, display)
            hashed.append((display, hashlib.sha256(raw).hexdigest()))
        elif name in (MANIFEST, SIGNATURES):
            hashed.append((display, hashlib.sha256(raw).hexdigest()))
    return modules, tests, data, hashed


def _check_root(display: str, path: str, roots: tuple[str, ...]) -> None:
    """OPA refuses a bundle whose packages or data fall outside its manifest roots; so does aigate."""
    if path.split("/")[0] == "aigate":
        raise InputError(
            "a bundle may not write under data.aigate (reserved for the built-in library)",
            position=Position(display),
        )
    if not any(r == "" or path == r or path.startswith(r + "/") for r in roots):
        raise InputError(
            f"{path.replace('/', '.')} is outside the bundle's manifest roots {list(roots)}",
            position=Position(display),
        )


def _parse(display: str, raw: bytes) -> Any:
    try:
        if display.endswith(".json") or display.endswith(MANIFEST):
            return json.loads(raw)
        return yaml.safe_load(io.BytesIO(raw))
    except (ValueError, UnicodeDecodeError, yaml.YAMLError):
        raise InputError("bundle data file does not parse", position=Position(display)) from None


def _merge(data: dict[str, Any], where: list[str], value: Any, display: str) -> None:
    node = data
    for key in where[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise InputError("bundle data files conflict", position=Position(display))
    if not where:
        if not isinstance(value, dict):
            raise InputError("the root data file must hold an object", position=Position(display))
        for k, v in value.items():
            if k in node:
                raise InputError(f"bundle data files both define data.{k}", position=Position(display))
            node[k] = v
    elif where[-1] in node:
        raise InputError(f"bundle data files both define data.{'.'.join(where)}", position=Position(display))
    else:
        node[where[-1]] = value


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class _Key:
    pem: Any | None  # a cryptography public key
    secret: bytes | None  # an HMAC secret


def _read_key(key: BundleKey) -> _Key:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    raw = key.material
    if b"-----BEGIN" in raw:
        try:
            return _Key(load_pem_public_key(raw), None)
        except ValueError:
            raise InputError("not a PEM public key", position=Position(key.source)) from None
    return _Key(None, raw.rstrip(b"\r\n"))


def verify_signature(path: str, files: dict[str, bytes], bundle_key: BundleKey) -> None:
    """Check the one JWT in .signatures.json with ``key``, then every file against its listed hash."""
    key = _read_key(bundle_key)
    where = Position(f"{path}/{SIGNATURES}")
    try:
        sigs = json.loads(files[SIGNATURES]).get("signatures")
    except (ValueError, UnicodeDecodeError, AttributeError):
        raise InputError("the bundle's .signatures.json is not valid", position=where) from None
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], str):
        raise InputError("the bundle must carry exactly one signature", position=where)
    payload = _verify_jwt(sigs[0], key, where, bundle_key)
    listed: dict[str, dict[str, Any]] = {}
    for entry in payload.get("files") or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            listed[entry["name"].lstrip("/")] = entry
    for name, raw in sorted(files.items()):
        if name == SIGNATURES:
            continue
        entry = listed.pop(name, None)
        if entry is None:
            raise InputError(f"bundle file {name} is not covered by the signature", position=where)
        algorithm = str(entry.get("algorithm") or "")
        if algorithm not in _HASHES:  # OPA refuses an entry without an algorithm too
            raise InputError(f"unsupported hash algorithm {algorithm} for {name}", position=where)
        digest = _HASHES[algorithm]()
        if _structured(name):
            go_json_hash(_hashable(f"{path}/{name}", raw), digest)
        else:
            digest.update(raw)
        if not hmac.compare_digest(digest.hexdigest(), str(entry.get("hash", ""))):
            raise InputError(f"bundle file {name} does not match its signed hash (tampered)", position=where)
    if listed:
        raise InputError(f"signed file {sorted(listed)[0]} is missing from the bundle", position=where)


class _Literal(str):
    """A JSON number kept as written: OPA decodes with ``UseNumber`` and re-encodes the literal."""


def _hashable(display: str, raw: bytes) -> Any:
    if display.endswith((".json", MANIFEST)):
        try:
            return json.loads(raw, parse_float=_Literal, parse_int=_Literal)
        except (ValueError, UnicodeDecodeError):
            raise InputError("bundle data file does not parse", position=Position(display)) from None
    return _parse(display, raw)


def _structured(name: str) -> bool:
    """OPA's ``IsStructuredDoc``: only these names are hashed over their parsed value."""
    return PurePosixPath(name).name in ("data.json", "data.yaml", MANIFEST, SIGNATURES)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verify_jwt(token: str, key: _Key, where: Position, config: BundleKey) -> dict[str, Any]:
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        header = json.loads(_b64(head_b64))
        payload = json.loads(_b64(body_b64))
        signature = _b64(sig_b64)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the bundle signature is not a JWS compact token", position=where) from None
    alg = str(header.get("alg", "")) if isinstance(header, dict) else ""
    signed = f"{head_b64}.{body_b64}".encode()
    if not _check(alg, key, signed, signature):
        raise InputError(
            f"the bundle signature ({alg or 'no alg'}) does not verify with the given key", position=where
        )
    if not isinstance(payload, dict):
        raise InputError("the bundle signature's payload is not an object", position=where)
    _check_claims(header, payload, config, where)
    return payload


def _check_claims(
    header: dict[str, Any], payload: dict[str, Any], config: BundleKey, where: Position
) -> None:
    """``kid``/``keyid`` and ``scope`` as OPA's ``verifyJWTSignature`` reads them (after the signature).

    OPA takes the key id from its config first, else the header's ``kid``, else the deprecated
    ``keyid`` claim, and looks that key up; with one configured key, a token naming another
    key id is refused here (OPA would verify with the configured key regardless). The payload's
    ``scope`` must equal the configured one, absent on both sides counting as equal.
    """
    named = header.get("kid") if header.get("kid") not in (None, "") else payload.get("keyid")
    if config.key_id is not None and named not in (None, "") and named != config.key_id:
        raise InputError(
            f"the bundle signature names key {named!r}, not the configured key id {config.key_id!r}",
            position=where,
            hint="sign with the organisation's key, or fix policy_bundles.key_id",
        )
    want = config.scope or ""
    got = payload.get("scope")
    got = "" if got is None else got
    if got != want:
        raise InputError(
            f"the bundle signature's scope {got!r} does not match the configured scope {want!r} "
            "(OPA: scope mismatch)",
            position=where,
        )


def _check(alg: str, key: _Key, signed: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    bits = alg[2:]
    if bits not in ("256", "384", "512"):
        return False
    if alg.startswith("HS"):
        # never with a public key: "HS256 keyed with the public key" is the classic JWT forgery
        if key.secret is None:
            return False
        mac = hmac.new(key.secret, signed, getattr(hashlib, "sha" + bits)).digest()
        return hmac.compare_digest(mac, signature)
    algo = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[bits]
    pub = key.pem
    try:
        if alg.startswith("RS") and isinstance(pub, rsa.RSAPublicKey):
            pub.verify(signature, signed, padding.PKCS1v15(), algo)
        elif alg.startswith("PS") and isinstance(pub, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(algo), salt_length=padding.PSS.DIGEST_LENGTH)
            pub.verify(signature, signed, pss, algo)
        elif alg.startswith("ES") and isinstance(pub, ec.EllipticCurvePublicKey):
            half = len(signature) // 2
            if len(signature) % 2 or half != (pub.curve.key_size + 7) // 8:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            pub.verify(der, signed, ec.ECDSA(algo))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def go_json_hash(value: Any, h: Any) -> None:
    """Feed ``value`` to ``h`` as OPA's bundle hasher walks a parsed document (bundle/hash.go)."""
    if isinstance(value, dict):
        h.update(b"{")
        for i, k in enumerate(sorted(value)):
            if i:
                h.update(b",")
            h.update(_go_scalar(str(k)))
            h.update(b":")
            go_json_hash(value[k], h)
        h.update(b"}")
    elif isinstance(value, list):
        h.update(b"[")
        for i, item in enumerate(value):
            if i:
                h.update(b",")
            go_json_hash(item, h)
        h.update(b"]")
    else:
        h.update(_go_scalar(value))


def _go_scalar(value: Any) -> bytes:
    """A scalar as Go's ``json.Encoder`` with ``SetEscapeHTML(false)`` writes it."""
    if isinstance(value, _Literal):
        return str(value).encode()
    if value is None:
        return b"null"
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)).encode()
    out = ['"']
    for ch in str(value):
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif o < 0x20 or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out).encode()


def merge_into(data: dict[str, Any], new: dict[str, Any], display: str) -> None:
    """Add one bundle's documents to those of the bundles before it; an overlap is an error."""
    for key, value in new.items():
        if key in data:
            raise InputError(f"two policy bundles both define data.{key}", position=Position(display))
        data[key] = value
