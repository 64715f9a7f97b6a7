"""The approvers list, read from policy data (``approvals``), never from the release's manifest.

Shape (the organisation's policy data, agreed with the policy-library schema)::

    approvals:
      roles:
        <role>:
          quorum: 2                      # distinct people needed
          members:
            - name: Alice
              email: alice@example.com
              ssh_keys:
                - ssh-ed25519 AAAA...
                - 'alice@example.com valid-before="20270101" ssh-ed25519 AAAA...'
              pgp_fingerprints: ["0123...CDEF"]
              pgp_keys: ["-----BEGIN PGP PUBLIC KEY BLOCK-----..."]
      required_roles: [security, ml-lead]
      separation_of_duties: true
      policy_change_role: security
      revoked_ssh_keys: ["ssh-ed25519 AAAA..."]   # optional: git's gpg.ssh.revocationFile

``ssh_keys`` entries are lines in git's ``allowed_signers`` form: ``[principals [options]] keytype
base64 [comment]``. The principals written there are ignored and replaced by aigate's own (one per
person), so a line copied from a developer's file cannot claim somebody else's identity; the
options (``valid-after``, ``valid-before``, ``namespaces``) are kept, which is how a key expires.

Invariant: a person is identified by their email (lowercased); "distinct people" for a quorum and
"approver differs from author" both use it. A malformed list is an ``InputError`` naming the field.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aigate.errors import InputError

_KEY_TYPE = re.compile(
    r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$"
)
_FPR = re.compile(r"^[0-9A-F]{40}([0-9A-F]{24})?$")
_TIME = re.compile(r"^(\d{8})(\d{4}(\d{2})?)?(Z)?$")
WHERE = "policy data: approvals"


@dataclass(frozen=True)
class SSHKey:
    keytype: str
    blob: str  # base64 as written
    options: str  # allowed_signers options, "" when none
    fingerprint: str  # "SHA256:..." as ssh-keygen prints it

    def valid_window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        return _option_time(self.options, "valid-after"), _option_time(self.options, "valid-before")


@dataclass(frozen=True)
class Member:
    person: str  # identity: lowercased email (or name when there is no email)
    name: str
    email: str
    ssh_keys: tuple[SSHKey, ...] = ()
    pgp_fingerprints: frozenset[str] = frozenset()
    pgp_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    name: str
    quorum: int
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Approvers:
    roles: dict[str, Role]
    required_roles: tuple[str, ...]
    separation_of_duties: bool = True
    policy_change_role: str | None = None
    revoked_ssh_keys: tuple[SSHKey, ...] = ()
    people: dict[str, Member] = field(default_factory=dict)  # person -> first member entry

    def ssh_fingerprints(self, role: str) -> dict[str, Member]:
        r = self.roles.get(role)
        return {k.fingerprint: m for m in (r.members if r else ()) for k in m.ssh_keys}

    def roles_of_ssh(self, fingerprint: str) -> list[str]:
        return sorted(name for name in self.roles if fingerprint in self.ssh_fingerprints(name))

    def all_pgp_keys(self) -> list[str]:
        return [k for r in self.roles.values() for m in r.members for k in m.pgp_keys]


def _option_time(options: str, name: str) -> dt.datetime | None:
    m = re.search(rf'(?:^|,){name}="?([0-9Z]+)"?', options)
    if not m:
        return None
    t = _TIME.match(m.group(1))
    if not t:
        return None
    digits = t.group(1) + (t.group(2) or "0000")
    digits += "00" if len(digits) == 12 else ""
    return dt.datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)


def _tokens(line: str) -> list[str]:
    """Whitespace-separated tokens; double-quoted runs (option values) do not split."""
    out: list[str] = []
    cur = ""
    quoted = False
    for ch in line.strip():
        if ch == '"':
            quoted = not quoted
        if ch.isspace() and not quoted:
            if cur:
                out.append(cur)
                cur = ""
            continue
        cur += ch
    if cur:
        out.append(cur)
    return out


def ssh_fingerprint(blob: str) -> str:
    raw = base64.b64decode(blob, validate=True)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")


def parse_ssh_key(line: str, where: str) -> SSHKey:
    toks = _tokens(line)
    idx = next((i for i, t in enumerate(toks) if _KEY_TYPE.match(t)), None)
    if idx is None or idx + 1 >= len(toks) or idx > 2:
        raise InputError(
            f"{where}: not an SSH public key in allowed_signers form: {line[:60]!r}",
            hint="use the content of the signer's .pub file, optionally prefixed by principals and options",
        )
    options = toks[1] if idx == 2 else ""
    blob = toks[idx + 1]
    try:
        fpr = ssh_fingerprint(blob)
    except ValueError:
        raise InputError(f"{where}: the SSH key is not valid base64: {blob[:20]!r}...") from None
    for opt in ("valid-after", "valid-before"):
        if opt in options and _option_time(options, opt) is None:
            raise InputError(f"{where}: {opt} must be YYYYMMDD[HHMM[SS]][Z]: {options!r}")
    return SSHKey(keytype=toks[idx], blob=blob, options=options, fingerprint=fpr)


def normalize_fingerprint(value: str) -> str:
    return re.sub(r"[\s:]", "", str(value)).upper().removeprefix("0X")


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list")
    return value


def parse_approvers(config: Any) -> Approvers | None:
    """The approvers of ``policy_data["approvals"]``; ``None`` when the organisation set none.

    Reads defensively: unknown keys are ignored, wrong types are InputErrors naming the field.
    """
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise InputError(f"{WHERE} must be a mapping")
    roles_raw = config.get("roles") or {}
    if not isinstance(roles_raw, Mapping):
        raise InputError(f"{WHERE}.roles must be a mapping of role name to {{quorum, members}}")
    roles: dict[str, Role] = {}
    people: dict[str, Member] = {}
    key_owner: dict[str, str] = {}
    for rname, rdef in roles_raw.items():
        where = f"{WHERE}.roles.{rname}"
        if not isinstance(rdef, Mapping):
            raise InputError(f"{where} must be a mapping with quorum and members")
        quorum = rdef.get("quorum", 1)
        if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
            raise InputError(f"{where}.quorum must be a positive integer, not {quorum!r}")
        members: list[Member] = []
        for i, mdef in enumerate(_list(rdef.get("members"), f"{where}.members")):
            mwhere = f"{where}.members[{i}]"
            if not isinstance(mdef, Mapping):
                raise InputError(f"{mwhere} must be a mapping with name, email and keys")
            name = str(mdef.get("name") or "").strip()
            email = str(mdef.get("email") or "").strip()
            person = email.lower() or name.lower()
            if not person:
                raise InputError(f"{mwhere} needs an email (or at least a name) to identify the person")
            ssh = tuple(
                parse_ssh_key(str(line), f"{mwhere}.ssh_keys[{j}]")
                for j, line in enumerate(_list(mdef.get("ssh_keys"), f"{mwhere}.ssh_keys"))
            )
            fprs = set()
            for j, f in enumerate(_list(mdef.get("pgp_fingerprints"), f"{mwhere}.pgp_fingerprints")):
                norm = normalize_fingerprint(f)
                if not _FPR.match(norm):
                    raise InputError(
                        f"{mwhere}.pgp_fingerprints[{j}]: {f!r} is not a full OpenPGP fingerprint"
                    )
                fprs.add(norm)
            keys = tuple(str(k) for k in _list(mdef.get("pgp_keys"), f"{mwhere}.pgp_keys"))
            for ident in [k.fingerprint for k in ssh] + sorted(fprs):
                owner = key_owner.setdefault(ident, person)
                if owner != person:
                    raise InputError(
                        f"{mwhere}: key {ident} is also listed for {owner}; one key must belong to one "
                        "person, or a quorum of distinct people means nothing"
                    )
            member = Member(person, name or email, email, ssh, frozenset(fprs), keys)
            members.append(member)
            people.setdefault(person, member)
        roles[str(rname)] = Role(str(rname), quorum, tuple(members))
    required = tuple(str(r) for r in _list(config.get("required_roles"), f"{WHERE}.required_roles"))
    for r in required:
        if r not in roles:
            raise InputError(
                f"{WHERE}.required_roles names {r!r}, which is not defined under approvals.roles"
            )
    pcr = config.get("policy_change_role")
    if pcr is not None and str(pcr) not in roles:
        raise InputError(
            f"{WHERE}.policy_change_role names {pcr!r}, which is not defined under approvals.roles"
        )
    sod = config.get("separation_of_duties", True)
    if not isinstance(sod, bool):
        raise InputError(f"{WHERE}.separation_of_duties must be true or false")
    revoked = tuple(
        parse_ssh_key(str(line), f"{WHERE}.revoked_ssh_keys[{j}]")
        for j, line in enumerate(_list(config.get("revoked_ssh_keys"), f"{WHERE}.revoked_ssh_keys"))
    )
    return Approvers(roles, required, sod, str(pcr) if pcr is not None else None, revoked, people)


def pgp_key_fingerprints(gpg: str, armored: str) -> set[str]:
    """Fingerprints (primary and sub-keys) of an armored key, read with ``gpg --show-keys``
    in a throw-away home (the user's keyring is never read or written)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="aigate-gpg-") as home:
        proc = subprocess.run(
            [gpg, "--homedir", home, "--batch", "--no-autostart", "--with-colons", "--show-keys"],
            input=armored.encode("utf-8"),
            capture_output=True,
            check=False,
        )
    out = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if parts[0] == "fpr" and len(parts) > 9:
            out.add(normalize_fingerprint(parts[9]))
    return out
