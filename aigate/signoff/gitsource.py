"""Approvals recorded in git: signed annotated tags under ``refs/tags/aigate/approvals/``.

Scanning costs two processes whatever the history length: one ``git for-each-ref`` over the
reserved namespace and one ``git cat-file --batch`` that returns every tag object with its
length (no parsing of delimiter-separated text an attacker could forge). One ``git log`` pass over
the release range yields both the authors (separation of duties) and every typed
``Approved-by:`` trailer, reported as not counting: text is not a signature.

Verification goes through git itself: ``git verify-tag --raw <tag object id>`` with
``gpg.ssh.allowedSignersFile`` and ``gpg.ssh.revocationFile`` written from the approvers list,
and ``GNUPGHOME`` set to a temporary home holding only the listed OpenPGP keys. The verifying
programs and the minimum trust level are pinned with ``-c`` so that neither the user's nor the
repository's git configuration can replace them. Verifications run in a small thread pool.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import struct
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aigate.errors import CollectorError
from aigate.signoff.approvers import Approvers, normalize_fingerprint
from aigate.signoff.gitcmd import GitRunner
from aigate.signoff.record import NAMESPACE, PayloadError, parse_payload
from aigate.signoff.source import ApprovalSource, FoundApproval, SignatureCheck

_SIG_BEGIN = {
    "-----BEGIN SSH SIGNATURE-----": "ssh",
    "-----BEGIN PGP SIGNATURE-----": "openpgp",
    "-----BEGIN PGP MESSAGE-----": "openpgp",
    "-----BEGIN SIGNED MESSAGE-----": "x509",
}
_TAGGER = re.compile(r"^tagger (.*) (\d+) [+-]\d{4}$")
_SSH_GOOD = re.compile(r'Good "git" signature (?:for (\S+) )?with \S+ key (SHA256:[A-Za-z0-9+/]+)')
_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
TRAILER = "Approved-by"


def split_tag_object(raw: bytes) -> tuple[dict[str, str], str, str, str | None]:
    """(headers, message, signature, signature format) of a raw tag object, as git splits it:
    the signature starts at the last line that opens a known signature armor."""
    text = raw.decode("utf-8", "replace")
    head, _, body = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, _, value = line.partition(" ")
        headers.setdefault(key, value)
    cut, fmt = -1, None
    offset = 0
    for line in body.splitlines(keepends=True):
        for marker, kind in _SIG_BEGIN.items():
            if line.startswith(marker):
                cut, fmt = offset, kind
        offset += len(line)
    if cut < 0:
        return headers, body, "", None
    return headers, body[:cut], body[cut:], fmt


def ssh_signature_key(signature: str) -> str | None:
    """Fingerprint of the public key embedded in an armored SSHSIG blob (not a verification:
    only used to name the key in a reason when git's verification output does not)."""
    body = "".join(ln.strip() for ln in signature.splitlines() if ln and not ln.startswith("-----"))
    try:
        blob = base64.b64decode(body)
    except ValueError:
        return None
    if not blob.startswith(b"SSHSIG") or len(blob) < 14:
        return None
    size = struct.unpack(">I", blob[10:14])[0]
    key = blob[14 : 14 + size]
    if len(key) != size:
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(key).digest()).decode("ascii").rstrip("=")


class GitTagSource(ApprovalSource):
    name = "git"

    def __init__(self, runner: GitRunner, *, trailer_range: str | None, gpg: str | None = None):
        self.runner = runner
        self.trailer_range = trailer_range  # "base..head" or "head"; None: do not scan trailers
        self.gpg = gpg or shutil.which("gpg") or shutil.which("gpg2") or "gpg"
        self._range_scan: tuple[list[str], list[FoundApproval]] | None = None

    # -- finding -----------------------------------------------------------------------------
    def find(self) -> list[FoundApproval]:
        found = self._tags()
        found += self.scan_range()[1]
        return found

    def _tags(self) -> list[FoundApproval]:
        out = self.runner.check(
            ["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)", NAMESPACE]
        ).decode("utf-8", "replace")
        refs: list[tuple[str, str, str]] = []
        for line in out.splitlines():
            oid, otype, ref = [*line.split(" ", 2), "", ""][:3]
            if _HEX.match(oid) and ref:
                refs.append((oid, otype, ref))
        tag_ids = sorted({oid for oid, otype, _ in refs if otype == "tag"})
        objects = self._cat_tags(tag_ids)
        found: list[FoundApproval] = []
        for oid, otype, ref in refs:
            if otype != "tag":
                found.append(
                    FoundApproval(
                        id=ref,
                        source="git-tag",
                        kind="lightweight-tag",
                        object_id=oid,
                        target=oid,
                        problem="lightweight tag: it carries no message and no signature",
                    )
                )
                continue
            raw = objects.get(oid)
            if raw is None:
                found.append(
                    FoundApproval(
                        ref,
                        "git-tag",
                        "unsigned-tag",
                        oid,
                        None,
                        problem="tag object is missing or unreadable",
                    )
                )
                continue
            found.append(self._from_tag(ref, oid, raw))
        return found

    def _cat_tags(self, oids: list[str]) -> dict[str, bytes]:
        if not oids:
            return {}
        data = self.runner.check(["cat-file", "--batch"], stdin=("\n".join(oids) + "\n").encode())
        objects: dict[str, bytes] = {}
        pos = 0
        while pos < len(data):
            nl = data.index(b"\n", pos)
            header = data[pos:nl].decode("ascii", "replace").split()
            pos = nl + 1
            if len(header) < 3 or header[1] == "missing":
                continue
            size = int(header[2])
            if header[1] == "tag":
                objects[header[0]] = data[pos : pos + size]
            pos += size + 1
        return objects

    def _from_tag(self, ref: str, oid: str, raw: bytes) -> FoundApproval:
        headers, message, signature, fmt = split_tag_object(raw)
        target = headers.get("object")
        claimed, when = "", None
        m = _TAGGER.match("tagger " + headers.get("tagger", ""))
        if m:
            claimed, when = m.group(1), int(m.group(2))
        problem = None
        payload = None
        if headers.get("type") != "commit":
            problem = f"tag points at a {headers.get('type')}, not a commit"
        else:
            try:
                payload = parse_payload(message)
            except PayloadError as exc:
                problem = str(exc)
        if payload is not None and payload.commit != target:
            problem = f"payload names commit {payload.commit[:12]} but the tag points at {str(target)[:12]}"
        kind = "signed-tag" if fmt else "unsigned-tag"
        if problem is None and fmt is None:
            problem = "tag is not signed: an unsigned record is text anyone can type"
        return FoundApproval(
            id=ref,
            source="git-tag",
            kind=kind,
            object_id=oid,
            target=target,
            claimed_by=claimed,
            time=when,
            payload=payload,
            problem=problem,
            signature_format=fmt,
            signature_key=ssh_signature_key(signature) if fmt == "ssh" else None,
        )

    def scan_range(self) -> tuple[list[str], list[FoundApproval]]:
        """One ``git log`` pass over the release range: the authors' emails (lowercased, for
        separation of duties) and every ``Approved-by:`` trailer (reported, never counted).

        Each commit prints exactly one line (``%H NUL %ae NUL trailers``, trailers unfolded and
        joined by US): idents and unfolded trailers cannot hold a newline. A line that does not
        parse is a CollectorError, never a silently dropped author.
        """
        if self.trailer_range is None:
            return [], []
        if self._range_scan is None:
            out = self.runner.check(
                [
                    "log",
                    f"--format=%H%x00%ae%x00%(trailers:key={TRAILER},valueonly,unfold,separator=%x1f)",
                    self.trailer_range,
                    "--",
                ]
            ).decode("utf-8", "replace")
            authors: set[str] = set()
            found: list[FoundApproval] = []
            for line in out.splitlines():
                parts = line.split("\x00", 2)
                if len(parts) != 3 or not _HEX.match(parts[0]):
                    raise CollectorError(
                        f"unexpected git log output in {self.runner.cwd}: {line[:60]!r}",
                        hint="report this; the release range could not be read reliably",
                    )
                sha, email, values = parts
                authors.add(email.strip().lower())
                for value in (v.strip() for v in values.split("\x1f")):
                    if value:
                        found.append(
                            FoundApproval(
                                id=f"commit:{sha}:{TRAILER}",
                                source="git-trailer",
                                kind="trailer",
                                target=sha,
                                claimed_by=value,
                                problem=f"unsigned '{TRAILER}: {value}' trailer in commit {sha[:12]}: "
                                "a trailer is text anyone can type, not a signature",
                            )
                        )
            self._range_scan = (sorted(authors), found)
        return self._range_scan

    # -- verifying ---------------------------------------------------------------------------
    def verify(self, candidates: Sequence[FoundApproval], approvers: Approvers) -> dict[str, SignatureCheck]:
        results: dict[str, SignatureCheck] = {}
        todo = [c for c in candidates if c.object_id and c.signature_format in ("ssh", "openpgp")]
        for c in candidates:
            if c not in todo:
                results[c.id] = SignatureCheck(False, f"unsupported signature format {c.signature_format}")
        if not todo:
            return results
        with tempfile.TemporaryDirectory(prefix="aigate-signoff-") as tmp:
            config, env = self._trust_setup(
                Path(tmp), approvers, any(c.signature_format == "openpgp" for c in todo)
            )

            def one(c: FoundApproval) -> tuple[str, SignatureCheck]:
                assert c.object_id is not None
                res = self.runner.run(["verify-tag", "--raw", c.object_id], config=config, env=env)
                text = res.stdout.decode("utf-8", "replace") + "\n" + res.stderr
                if c.signature_format == "ssh":
                    return c.id, _ssh_result(res.status, text, approvers, c.signature_key)
                return c.id, _pgp_result(res.status, text)

            with ThreadPoolExecutor(max_workers=min(4, len(todo))) as pool:
                results.update(pool.map(one, todo))
        return results

    def _trust_setup(
        self, tmp: Path, approvers: Approvers, need_pgp: bool
    ) -> tuple[list[str], dict[str, str]]:
        allowed = tmp / "allowed_signers"
        revoked = tmp / "revoked_keys"
        lines = []
        for person_no, person in enumerate(sorted(approvers.people)):
            seen = set()
            for role in approvers.roles.values():
                for member in role.members:
                    if member.person != person:
                        continue
                    for key in member.ssh_keys:
                        entry = (key.options, key.keytype, key.blob)
                        if entry in seen:
                            continue
                        seen.add(entry)
                        opts = f" {key.options}" if key.options else ""
                        lines.append(f"person-{person_no}{opts} {key.keytype} {key.blob}\n")
        allowed.write_text("".join(lines), encoding="utf-8")
        revoked.write_text(
            "".join(f"{k.keytype} {k.blob}\n" for k in approvers.revoked_ssh_keys), encoding="utf-8"
        )
        config = [
            "gpg.ssh.program=ssh-keygen",
            f"gpg.ssh.allowedSignersFile={allowed}",
            f"gpg.ssh.revocationFile={revoked}",
            f"gpg.program={self.gpg}",
            f"gpg.openpgp.program={self.gpg}",
            "gpg.minTrustLevel=undefined",
        ]
        home = tmp / "gnupg"
        home.mkdir(mode=0o700)
        env = {"GNUPGHOME": str(home)}
        keys = approvers.all_pgp_keys()
        if need_pgp and keys:
            import subprocess

            # a key that does not import cannot verify anything: the signature check then
            # reports the missing key, so an import failure never turns into a pass
            subprocess.run(
                [self.gpg, "--homedir", str(home), "--batch", "--quiet", "--no-autostart", "--import"],
                input="\n".join(keys).encode("utf-8"),
                capture_output=True,
                check=False,
            )
        return config, env


def _ssh_result(status: int, text: str, approvers: Approvers, embedded: str | None) -> SignatureCheck:
    m = _SSH_GOOD.search(text)
    fpr = m.group(2) if m else embedded
    revoked = {k.fingerprint for k in approvers.revoked_ssh_keys}
    if status == 0 and m and m.group(1):
        return SignatureCheck(True, f"good SSH signature by {fpr}", fpr, "ssh")
    if fpr and fpr in revoked:
        return SignatureCheck(False, f"SSH key {fpr} is revoked (approvals.revoked_ssh_keys)", fpr, "ssh")
    if "expired" in text or "not yet valid" in text:
        detail = next(
            (ln.split(": ", 1)[-1] for ln in text.splitlines() if "expired" in ln or "not yet" in ln), ""
        )
        return SignatureCheck(
            False, f"SSH key {fpr or ''} is outside its validity window: {detail}".strip(), fpr, "ssh"
        )
    if "No principal matched" in text and fpr:
        return SignatureCheck(False, f"SSH key {fpr} is not in the approvers list", fpr, "ssh")
    last = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return SignatureCheck(
        False,
        "SSH signature does not verify (the tag was changed after signing, or the signature is corrupt)"
        + (f": {last[-1]}" if last else ""),
        fpr,
        "ssh",
    )


def _pgp_result(status: int, text: str) -> SignatureCheck:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("[GNUPG:] "):
            parts = line[len("[GNUPG:] ") :].split()
            if parts:
                fields.setdefault(parts[0], parts[1:])
    valid = fields.get("VALIDSIG")
    fpr = normalize_fingerprint(valid[0]) if valid else None
    primary = normalize_fingerprint(valid[-1]) if valid and len(valid) >= 10 else fpr
    if status == 0 and "GOODSIG" in fields and valid:
        return SignatureCheck(True, f"good OpenPGP signature by {primary}", fpr, "openpgp", primary)
    if "REVKEYSIG" in fields:
        keyid = fields["REVKEYSIG"][0] if fields["REVKEYSIG"] else "?"
        return SignatureCheck(False, f"OpenPGP key {keyid} is revoked", fpr, "openpgp", primary)
    if "EXPKEYSIG" in fields:
        keyid = fields["EXPKEYSIG"][0] if fields["EXPKEYSIG"] else "?"
        return SignatureCheck(False, f"OpenPGP key {keyid} has expired", fpr, "openpgp", primary)
    if "EXPSIG" in fields:
        return SignatureCheck(False, "OpenPGP signature has expired", fpr, "openpgp", primary)
    if "BADSIG" in fields:
        return SignatureCheck(
            False, "OpenPGP signature is BAD: the tag was changed after signing", fpr, "openpgp", primary
        )
    if "NO_PUBKEY" in fields or "ERRSIG" in fields:
        keyid = (fields.get("NO_PUBKEY") or fields.get("ERRSIG") or ["?"])[0]
        return SignatureCheck(False, f"OpenPGP key {keyid} is not in the approvers list", None, "openpgp")
    return SignatureCheck(
        False, f"OpenPGP signature does not verify (git exit status {status})", fpr, "openpgp", primary
    )
