"""OPA bundles (``bundle.tar.gz``) as ``--policy``: signatures, tampering, bounded tar reading, digest.

Bundles are built here the way ``opa build --signing-key`` lays them out (OPA's docs, "Bundle
Signing"): ``.signatures.json`` holds ``{"signatures": [JWT]}`` whose payload lists every other file
with its SHA-256. The JWTs are made with PyJWT and keys with openssl — an implementation independent
of aigate's verifier (``cryptography``). The expected hash of a structured file is written out by
hand from OPA's ``bundle/hash.go`` rule (sorted keys, no spaces), not computed by aigate's code.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import jwt
import pytest
from aigate_cli import aigate, committed_copy, git

POLICY = (
    "package main\nimport rego.v1\n\n"
    'deny contains msg if { input.kind == "Deployment"\n'
    "  not input.metadata.labels[data.k8sconf.required_label]\n"
    '  msg := sprintf("%s lacks label %s", [input.metadata.name, data.k8sconf.required_label]) }\n'
)
DATA = '{"required_label": "team", "levels": [1, "two"]}'
# OPA's structured hash input for DATA: keys sorted, no whitespace (bundle/hash.go)
DATA_CANONICAL = b'{"levels":[1,"two"],"required_label":"team"}'
MANIFEST = '{"revision": "r42", "roots": ["main", "k8sconf"]}'
MANIFEST_CANONICAL = b'{"revision":"r42","roots":["main","k8sconf"]}'
FILES = {
    "main/policy.rego": POLICY.encode(),
    "k8sconf/data.json": DATA.encode(),
    ".manifest": MANIFEST.encode(),
}


def _tar(path: Path, files: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("/" + name)  # opa build writes names with a leading slash
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return path


def _hashes() -> list[dict[str, str]]:
    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    return [
        {"name": ".manifest", "hash": sha(MANIFEST_CANONICAL), "algorithm": "SHA-256"},
        {"name": "k8sconf/data.json", "hash": sha(DATA_CANONICAL), "algorithm": "SHA-256"},
        {"name": "main/policy.rego", "hash": sha(POLICY.encode()), "algorithm": "SHA-256"},
    ]


def _signed(
    files: dict[str, bytes], key: bytes | str, alg: str, listed: list[dict[str, str]] | None = None
) -> dict:
    token = jwt.encode(
        {"files": listed if listed is not None else _hashes(), "keyid": "k1"}, key, algorithm=alg
    )
    return {**files, ".signatures.json": json.dumps({"signatures": [token]}).encode()}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("keys")
    out: dict[str, Path] = {}
    for kind, args in {
        "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    }.items():
        subprocess.run(
            ["openssl", "genpkey", *args, "-out", str(d / f"{kind}.pem")], check=True, capture_output=True
        )
        subprocess.run(
            ["openssl", "pkey", "-in", str(d / f"{kind}.pem"), "-pubout", "-out", str(d / f"{kind}.pub")],
            check=True,
            capture_output=True,
        )
        out[kind], out[kind + ".pub"] = d / f"{kind}.pem", d / f"{kind}.pub"
    (d / "hmac.key").write_bytes(b"s3cr3t-shared-hmac-key-of-at-least-32-bytes\n")
    out["hmac"] = d / "hmac.key"
    return out


def _project(tmp_path: Path) -> Path:
    project = committed_copy("fraud-detector", tmp_path)
    (project / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: scorer\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "input")
    return project


def _check(project: Path, bundle: Path, *extra: str) -> tuple[int, str, dict]:
    out = project.parent / "evidence"
    run = aigate(
        "check",
        "--dry-run",
        "--policy",
        str(bundle),
        "--input",
        "deploy.yaml",
        "--format",
        "json",
        "--bundle-dir",
        str(out),
        *extra,
        cwd=project,
    )
    if run.returncode in (0, 1):
        index = json.loads((out / "index.json").read_text())
        return run.returncode, run.stdout, index
    return run.returncode, run.stderr, {}


@pytest.mark.parametrize(
    ("alg", "priv", "pub"),
    [
        ("RS256", "rsa", "rsa.pub"),
        ("ES256", "ec", "ec.pub"),
        ("PS256", "rsa", "rsa.pub"),
        ("HS256", "hmac", "hmac"),
    ],
)
def test_signed_bundle_works_as_policy(
    tmp_path: Path, keys: dict[str, Path], alg: str, priv: str, pub: str
) -> None:
    project = _project(tmp_path)
    secret = keys[priv].read_bytes().rstrip(b"\n") if alg == "HS256" else keys[priv].read_bytes()
    bundle = _tar(tmp_path / "b.tar.gz", _signed(FILES, secret, alg))
    code, out, index = _check(project, bundle, "--policy-bundle-key", str(keys[pub]))
    assert code == 1, out
    findings = json.loads(out)["findings"]
    assert any(f["message"] == "scorer lacks label team" for f in findings), findings
    assert index["policy_digest"].startswith("sha256:")


def test_tampered_or_unverifiable_bundles_are_refused(tmp_path: Path, keys: dict[str, Path]) -> None:
    project = _project(tmp_path)
    key = ["--policy-bundle-key", str(keys["rsa.pub"])]
    rsa = keys["rsa"].read_bytes()
    good = _signed(FILES, rsa, "RS256")
    cases = {
        "changed value": {**good, "k8sconf/data.json": DATA.replace("team", "anyone").encode()},
        "changed policy": {
            **good,
            "main/policy.rego": POLICY.replace("not input", "false; not input").encode(),
        },
        "extra file": {**good, "main/extra.rego": b"package main\n"},
        "missing file": {k: v for k, v in good.items() if k != "k8sconf/data.json"},
        "wrong key": _signed(FILES, keys["ec"].read_bytes(), "ES256"),
        "alg confusion": {
            **FILES,
            ".signatures.json": json.dumps(
                {"signatures": [_hs256_with(keys["rsa.pub"].read_bytes())]}
            ).encode(),
        },
        "unsigned": FILES,
    }
    messages = {}
    for name, files in cases.items():
        code, err, _ = _check(project, _tar(tmp_path / f"{name}.tar.gz", files), *key)
        assert code == 2, (name, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
        messages[name] = err
    assert "does not match its signed hash (tampered)" in messages["changed value"]
    assert "does not match its signed hash (tampered)" in messages["changed policy"]
    assert "main/extra.rego is not covered by the signature" in messages["extra file"]
    assert "is missing from the bundle" in messages["missing file"]
    assert "does not verify with the given key" in messages["wrong key"]
    assert "does not verify with the given key" in messages["alg confusion"]
    assert "not signed, but a verification key is required" in messages["unsigned"]
    code, err, _ = _check(project, _tar(tmp_path / "nokey.tar.gz", good))
    assert code == 2 and "signed but no key was given" in err, err


def _hs256_with(secret: bytes) -> str:
    """An HS256 token keyed with the RSA *public* key: what an attacker can make (PyJWT refuses to)."""
    import base64
    import hmac

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256"}).encode())
    signing = f"{header}.{b64(json.dumps({'files': _hashes()}).encode())}"
    mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(mac)}"


def test_reformatted_data_keeps_the_signature_valid(tmp_path: Path, keys: dict[str, Path]) -> None:
    """OPA hashes the parsed value of a JSON file, so whitespace and key order are not tampering."""
    project = _project(tmp_path)
    files = _signed(FILES, keys["rsa"].read_bytes(), "RS256")
    files["k8sconf/data.json"] = b'{\n  "levels": [ 1, "two" ],\n  "required_label": "team"\n}\n'
    code, out, _ = _check(
        project, _tar(tmp_path / "b.tar.gz", files), "--policy-bundle-key", str(keys["rsa.pub"])
    )
    assert code == 1, out


def test_digest_covers_every_module_and_data_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    digests = []
    for data in [DATA, DATA.replace('"two"', '"three"'), DATA]:
        files = {**FILES, "k8sconf/data.json": data.encode()}
        code, out, index = _check(project, _tar(tmp_path / "policy.tar.gz", files))  # same path, new content
        assert code == 1, out
        digests.append(index["policy_digest"])
    assert digests[0] == digests[2] != digests[1]
    files = {**FILES, ".manifest": MANIFEST.replace("r42", "r43").encode()}
    code, out, index = _check(project, _tar(tmp_path / "policy.tar.gz", files))
    assert code == 1 and index["policy_digest"] != digests[0], out


def _member(name: str, kind: bytes, **kw: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for k, v in kw.items():
        setattr(info, k, v)
    return info


@pytest.mark.parametrize(
    ("extra", "files", "expect"),
    [
        ([_member("main/link.rego", tarfile.SYMTYPE, linkname="/etc/passwd")], {}, "not a regular file"),
        ([_member("main/hard.rego", tarfile.LNKTYPE, linkname="main/policy.rego")], {}, "not a regular file"),
        ([_member("dev", tarfile.CHRTYPE, devmajor=1, devminor=3)], {}, "not a regular file"),
        ([], {"../escape.rego": b"package main\n"}, "unsafe path"),
        ([], {"main/../../x.rego": b"package main\n"}, "unsafe path"),
        (
            [],
            {"other/p.rego": b"package other\nimport rego.v1\nx := 1\n"},
            "outside the bundle's manifest roots",
        ),
        ([], {"aigate/data.json": b"{}"}, "reserved for the built-in library"),
        ([], {".manifest": b'{"roots": ["main", "k8sconf"], "rego_version": 0}'}, "rego_version 0"),
    ],
)
def test_unsafe_or_invalid_bundles_are_exit_2(
    tmp_path: Path, extra: list[tarfile.TarInfo], files: dict[str, bytes], expect: str
) -> None:
    project = _project(tmp_path)
    bundle = tmp_path / "bad.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for name, data in {**FILES, **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    code, err, _ = _check(project, bundle)
    assert code == 2 and expect in err, err


def test_member_count_is_bounded(tmp_path: Path) -> None:
    project = _project(tmp_path)
    many = {f"main/f{i}.txt": b"" for i in range(2001)}
    code, err, _ = _check(project, _tar(tmp_path / "many.tar.gz", {**FILES, **many}))
    assert code == 2 and "more than 2000 members" in err, err


def test_bundle_on_the_opa_server_engine(tmp_path: Path, keys: dict[str, Path]) -> None:
    """The bundle's data travels with its modules to the server (the real-OPA stand-in on 127.0.0.1)."""
    from policy.opa_standin import OpaStandIn

    project = _project(tmp_path)
    bundle = _tar(tmp_path / "b.tar.gz", _signed(FILES, keys["rsa"].read_bytes(), "RS256"))
    key = ["--policy-bundle-key", str(keys["rsa.pub"])]
    code, out, _ = _check(project, bundle, *key)
    with OpaStandIn() as opa:
        rcode, rout, _ = _check(project, bundle, *key, "--engine", "opa", "--opa-url", opa.url)
    assert code == rcode == 1, rout
    assert sorted(map(json.dumps, json.loads(out)["findings"])) == sorted(
        map(json.dumps, json.loads(rout)["findings"])
    )


# -- the key named in policy data; kid and scope as OPA checks them --------------------------
# OPA's bundle/verify.go (verifyJWTSignature): the key id comes from the keys config, else the
# JWT header's `kid`, else the deprecated `keyid` claim; the payload's `scope` must equal the
# configured scope ("scope mismatch"), absent equalling absent. Tokens are made with PyJWT.


def _token_files(key: bytes, alg: str, claims: dict, headers: dict | None = None) -> dict[str, bytes]:
    token = jwt.encode({"files": _hashes(), **claims}, key, algorithm=alg, headers=headers)
    return {**FILES, ".signatures.json": json.dumps({"signatures": [token]}).encode()}


def _load(tmp_path: Path, name: str, files: dict[str, bytes], key: object) -> object:
    from aigate.policy.opabundle import load_bundle

    return load_bundle(str(_tar(tmp_path / f"{name}.tar.gz", files)), keys=(key,))


def test_kid_and_scope_are_checked_as_opa_does(tmp_path: Path, keys: dict[str, Path]) -> None:
    from aigate.errors import InputError
    from aigate.policy.opabundle import BundleKey

    rsa, pub = keys["rsa"].read_bytes(), keys["rsa.pub"].read_bytes()
    org = BundleKey(pub, "test key", key_id="org-2026", scope="prod")
    ok = {
        "header kid": _token_files(rsa, "RS256", {"scope": "prod"}, {"kid": "org-2026"}),
        "deprecated keyid claim": _token_files(rsa, "RS256", {"scope": "prod", "keyid": "org-2026"}),
        "no key id at all": _token_files(rsa, "RS256", {"scope": "prod"}),
    }
    for name, files in ok.items():
        bundle = _load(tmp_path, name, files, org)
        assert bundle.signed and bundle.revision == "r42", name  # type: ignore[attr-defined]
    refused = {
        "other kid": (
            _token_files(rsa, "RS256", {"scope": "prod"}, {"kid": "attacker"}),
            "names key 'attacker'",
        ),
        "other keyid claim": (_token_files(rsa, "RS256", {"scope": "prod", "keyid": "k1"}), "names key 'k1'"),
        "other scope": (_token_files(rsa, "RS256", {"scope": "dev"}, {"kid": "org-2026"}), "scope 'dev'"),
        "no scope": (_token_files(rsa, "RS256", {}, {"kid": "org-2026"}), "scope ''"),
    }
    for name, (files, message) in refused.items():
        with pytest.raises(InputError) as err:
            _load(tmp_path, name, files, org)
        assert message in err.value.message and ".signatures.json" in err.value.one_line(), (name, err.value)
    # no scope configured (only a key): a token that carries a scope is a mismatch, as in OPA
    plain = BundleKey(pub, "test key")
    with pytest.raises(InputError, match="does not match the configured scope ''"):
        _load(tmp_path, "scoped", _token_files(rsa, "RS256", {"scope": "prod"}), plain)
    # a tampered kid breaks the signature (the header is signed): refused before the claims
    files = _token_files(rsa, "RS256", {"scope": "prod"}, {"kid": "org-2026"})
    token = json.loads(files[".signatures.json"])["signatures"][0]
    _head, body, sig = token.split(".")
    forged = jwt.utils.base64url_encode(json.dumps({"alg": "RS256", "kid": "org-2027"}).encode()).decode()
    files[".signatures.json"] = json.dumps({"signatures": [f"{forged}.{body}.{sig}"]}).encode()
    with pytest.raises(InputError, match="does not verify with the given key"):
        _load(tmp_path, "forged", files, BundleKey(pub, "k", key_id="org-2027", scope="prod"))


def _policy_data(path: Path, section: str) -> Path:
    path.write_text((path.parent / "base.yaml").read_text() + section)
    return path


def test_key_named_in_policy_data(tmp_path: Path, keys: dict[str, Path]) -> None:
    """The organisation's policy data names the key: a signed bundle passes verification, an
    unsigned or wrongly signed one is exit 2 without any flag, and the flag cannot replace it."""
    project = _project(tmp_path)
    org = tmp_path / "org"  # outside the project: the organisation's checkout ("external")
    org.mkdir()
    (org / "base.yaml").write_text((project / "policy-data.yaml").read_text().rstrip("\n") + "\n")
    rsa = keys["rsa"].read_bytes()
    by_path = _policy_data(
        org / "by-path.yaml",
        f"policy_bundles:\n  verification_key: {keys['rsa.pub']}\n  key_id: org-2026\n  scope: prod\n",
    )
    pem = keys["rsa.pub"].read_text()
    inline = _policy_data(
        org / "inline.yaml",
        "policy_bundles:\n  verification_key: |\n" + "".join(f"    {ln}\n" for ln in pem.splitlines()),
    )
    signed = _tar(tmp_path / "s.tar.gz", _token_files(rsa, "RS256", {"scope": "prod"}, {"kid": "org-2026"}))
    plain = _tar(tmp_path / "p.tar.gz", _token_files(rsa, "RS256", {}))
    unsigned = _tar(tmp_path / "u.tar.gz", FILES)
    other = _tar(tmp_path / "o.tar.gz", _token_files(keys["ec"].read_bytes(), "ES256", {"scope": "prod"}))

    code, out, index = _check(project, signed, "--fast", "--data", str(by_path))
    assert code == 1 and "scorer lacks label team" in out, out
    assert index["policy_digest"].startswith("sha256:"), index
    code, out, _ = _check(project, plain, "--fast", "--data", str(inline))
    assert code == 1, out
    code, err, _ = _check(project, unsigned, "--fast", "--data", str(by_path))
    assert (
        code == 2 and "not signed, but a verification key is required (policy_bundles.verification_key" in err
    )
    code, err, _ = _check(project, other, "--fast", "--data", str(by_path))
    assert code == 2 and "does not verify with the given key" in err, err
    # the flag's key cannot stand in for the organisation's: both must verify
    code, err, _ = _check(
        project, other, "--fast", "--data", str(by_path), "--policy-bundle-key", str(keys["ec.pub"])
    )
    assert code == 2 and "does not verify with the given key" in err, err
    code, err, _ = _check(project, plain, "--fast", "--data", str(by_path))
    assert code == 2 and "scope '' does not match the configured scope 'prod'" in err, err
