"""Signature verification through git itself.

``git verify-tag --raw <tag object id>`` runs with ``gpg.ssh.allowedSignersFile`` and
``gpg.ssh.revocationFile`` written from the approvers list, and with ``GNUPGHOME`` pointing at a
temporary home into which only the listed OpenPGP keys are imported. The verifying programs and
the minimum trust level are pinned with ``git -c``, so neither the user's nor the repository's
git configuration can swap them. git's exit status decides; its output is parsed only to name
the key and the reason (expired, revoked, unknown, bad signature).

SSH principals in the generated file are aigate's own (``person-<n>``), one per person: the
principals written in a policy's ``allowed_signers`` line are ignored, so a copied line cannot
claim another identity. Which *role* a verified key may approve for is decided by the caller
from the key's fingerprint, not by git.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aigate.signoff.approvers import Approvers, normalize_fingerprint
from aigate.signoff.gitcmd import GitRunner
from aigate.signoff.source import FoundApproval, SignatureCheck

_SSH_GOOD = re.compile(r'Good "git" signature (?:for (\S+) )?with \S+ key (SHA256:[A-Za-z0-9+/]+)')


def verify_tags(
    runner: GitRunner, candidates: Sequence[FoundApproval], approvers: Approvers, *, gpg: str | None = None
) -> dict[str, SignatureCheck]:
    """Verify each candidate tag with ``git verify-tag --raw <object id>``; keyed by record id.

    Runs four verifications at a time; each one is a git process plus ``ssh-keygen`` or ``gpg``.
    """
    gpg = gpg or shutil.which("gpg") or shutil.which("gpg2") or "gpg"
    results: dict[str, SignatureCheck] = {}
    todo = [c for c in candidates if c.object_id and c.signature_format in ("ssh", "openpgp")]
    for c in candidates:
        if c not in todo:
            results[c.id] = SignatureCheck(False, f"unsupported signature format {c.signature_format}")
    if not todo:
        return results
    with tempfile.TemporaryDirectory(prefix="aigate-signoff-") as tmp:
        need_pgp = any(c.signature_format == "openpgp" for c in todo)
        config, env = trust_setup(Path(tmp), approvers, gpg, need_pgp)

        def one(c: FoundApproval) -> tuple[str, SignatureCheck]:
            assert c.object_id is not None
            res = runner.run(["verify-tag", "--raw", c.object_id], config=config, env=env)
            text = res.stdout.decode("utf-8", "replace") + "\n" + res.stderr
            if c.signature_format == "ssh":
                return c.id, _ssh_result(res.status, text, approvers, c.signature_key)
            return c.id, _pgp_result(res.status, text)

        with ThreadPoolExecutor(max_workers=min(4, len(todo))) as pool:
            results.update(pool.map(one, todo))
    return results


def trust_setup(
    tmp: Path, approvers: Approvers, gpg: str, need_pgp: bool
) -> tuple[list[str], dict[str, str]]:
    """git ``-c`` settings and environment for verification, with files written under ``tmp``:
    the allowed-signers file (one aigate principal per person; the list's options kept), the
    SSH revocation file, and a fresh GnuPG home holding only the listed OpenPGP keys."""
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
    program = _ssh_program(tmp)
    config = [
        f"gpg.ssh.program={program}",
        f"gpg.ssh.allowedSignersFile={allowed}",
        f"gpg.ssh.revocationFile={revoked}",
        f"gpg.program={gpg}",
        f"gpg.openpgp.program={gpg}",
        "gpg.minTrustLevel=undefined",
    ]
    home = tmp / "gnupg"
    home.mkdir(mode=0o700)
    # ssh-keygen judges the key's validity window at the time of this run (local time, as
    # ssh-keygen reads it), never at the tag's own time, which its author sets
    env = {"GNUPGHOME": str(home), "AIGATE_VERIFY_TIME": time.strftime("%Y%m%d%H%M%S", time.localtime())}
    keys = approvers.all_pgp_keys()
    if need_pgp and keys:
        # a key that does not import cannot verify anything: the signature check then
        # reports the missing key, so an import failure never turns into a pass
        subprocess.run(
            [gpg, "--homedir", str(home), "--batch", "--quiet", "--no-autostart", "--import"],
            input="\n".join(keys).encode("utf-8"),
            capture_output=True,
            check=False,
        )
    return config, env


_SSH_WRAPPER = """#!/bin/sh
# aigate: ssh-keygen, with the verification time set to the time of the run. git passes
# -Overify-time=<the tag's time>; that time is chosen by whoever made the tag.
keygen=$1; shift
verifying=0
for a do
  shift
  case $a in
    -Overify-time=*) continue ;;
    verify) verifying=1 ;;
  esac
  set -- "$@" "$a"
done
if [ "$verifying" = 1 ]; then
  exec "$keygen" -Overify-time="$AIGATE_VERIFY_TIME" "$@"
fi
exec "$keygen" "$@"
"""


def _ssh_program(tmp: Path) -> str:
    """A wrapper around the real ``ssh-keygen`` that sets ``-Overify-time`` to the run's time.

    Validity (``valid-before``/``valid-after``, any letter case) stays ssh-keygen's own verdict;
    only the time it is judged at is aigate's."""
    keygen = shutil.which("ssh-keygen") or "ssh-keygen"
    wrapper = tmp / "ssh-keygen-now"
    wrapper.write_text(
        _SSH_WRAPPER.replace("keygen=$1; shift", f"keygen={shlex.quote(keygen)}"), encoding="utf-8"
    )
    wrapper.chmod(0o700)
    return str(wrapper)


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
