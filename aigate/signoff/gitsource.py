"""Approvals recorded in git: signed annotated tags under ``refs/tags/aigate/approvals/``.

Scanning costs two processes whatever the history length: one ``git for-each-ref`` over the
reserved namespace and one ``git cat-file --batch`` that returns every tag object with its
length (no parsing of delimiter-separated text an attacker could forge). One ``git log`` pass over
the release range yields both the authors (separation of duties) and every typed
``Approved-by:`` trailer, reported as not counting: text is not a signature.

Verification goes through git itself (:mod:`aigate.signoff.verify`).
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import struct
from collections.abc import Sequence

from aigate.errors import CollectorError
from aigate.signoff.approvers import Approvers
from aigate.signoff.gitcmd import GitRunner
from aigate.signoff.record import NAMESPACE, PayloadError, parse_payload
from aigate.signoff.source import ApprovalSource, FoundApproval, SignatureCheck
from aigate.signoff.verify import verify_tags

_SIG_BEGIN = {
    "-----BEGIN SSH SIGNATURE-----": "ssh",
    "-----BEGIN PGP SIGNATURE-----": "openpgp",
    "-----BEGIN PGP MESSAGE-----": "openpgp",
    "-----BEGIN SIGNED MESSAGE-----": "x509",
}
_TAGGER = re.compile(r"^tagger (.*) (\d+) [+-]\d{4}$")
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
        return verify_tags(self.runner, candidates, approvers, gpg=self.gpg)
