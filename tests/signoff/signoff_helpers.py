"""Real repositories and real keys for the sign-off tests (fixtures are exported by conftest.py).

Keys are made once per session with ``ssh-keygen`` and ``gpg --batch`` (ed25519: fast). Each test
gets its own git repository holding a small project (manifest, model file, policy data) with a
previous release tag ``v1.0.0`` and a release commit on top, authored by ``ann@example.com``.
OpenPGP signing goes through a small ``gpg`` wrapper script set as the repository's
``gpg.program`` (pointing at the session's key home), so no test touches the user's keyring.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigate.collect.interface import CollectContext, Evidence
from aigate.collect.signoffs import SignoffsCollector
from aigate.signoff import create_approval

AUTHOR = ("Ann Author", "ann@example.com")
PEOPLE = {
    "alice": "alice@example.com",
    "bob": "bob@example.com",
    "carol": "carol@example.com",
    "mallory": "mallory@example.com",
    "dave": "dave@example.com",
    "erin": "erin@example.com",
    "frank": "frank@example.com",
}


def run(cmd: list[str], cwd: Path | None = None, **kw: Any) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


@dataclass
class SSHIdentity:
    name: str
    email: str
    private: Path
    public: str  # "ssh-ed25519 AAAA... comment"


@dataclass
class PGPIdentity:
    name: str
    email: str
    fingerprint: str
    armored: str  # public key as the organisation lists it (with a revocation when revoked)
    program: Path  # gpg wrapper for signing


@dataclass
class Keys:
    ssh: dict[str, SSHIdentity]
    pgp: dict[str, PGPIdentity]


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    base = Path(tempfile.mkdtemp(prefix="ak"))  # short: gpg-agent socket paths are length-limited
    ssh = {}
    for name in ("alice", "bob", "carol", "mallory"):
        key = base / name
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", PEOPLE[name], "-f", str(key)])
        ssh[name] = SSHIdentity(name, PEOPLE[name], key, (base / f"{name}.pub").read_text().strip())
    home = base / "g"
    home.mkdir(mode=0o700)
    gpg = shutil.which("gpg") or "gpg"
    common = [
        gpg,
        "--homedir",
        str(home),
        "--batch",
        "--quiet",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
    ]
    pgp = {}
    for name, faked, expiry in (
        ("dave", None, "1y"),
        ("erin", "20200101T000000", "1d"),
        ("frank", None, "1y"),
    ):
        uid = f"{name.title()} <{PEOPLE[name]}>"
        pre = ["--faked-system-time", faked] if faked else []
        run([*common, *pre, "--quick-gen-key", uid, "ed25519", "sign", expiry])
        colons = run([gpg, "--homedir", str(home), "--with-colons", "--list-keys", PEOPLE[name]])
        fpr = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr"))
        armored = run([gpg, "--homedir", str(home), "--armor", "--export", fpr])
        program = base / f"gpg-{name}"
        sign_time = "--faked-system-time 20200101T060000 " if faked else ""
        program.write_text(f'#!/bin/sh\nexec {gpg} --homedir {home} {sign_time}"$@"\n')
        program.chmod(0o755)
        pgp[name] = PGPIdentity(name, PEOPLE[name], fpr, armored, program)
    # frank's key is revoked after the fact: the organisation lists the key with its revocation
    rev_home = base / "r"
    rev_home.mkdir(mode=0o700)
    rev = (home / "openpgp-revocs.d" / f"{pgp['frank'].fingerprint}.rev").read_text()
    rev = rev.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----")
    run([gpg, "--homedir", str(rev_home), "--batch", "--quiet", "--import"], input=pgp["frank"].armored)
    run([gpg, "--homedir", str(rev_home), "--batch", "--quiet", "--import"], input=rev)
    pgp["frank"].armored = run(
        [gpg, "--homedir", str(rev_home), "--armor", "--export", pgp["frank"].fingerprint]
    )
    yield Keys(ssh, pgp)
    for h in (home, rev_home):
        subprocess.run(
            ["gpgconf", "--homedir", str(h), "--kill", "gpg-agent"], capture_output=True, check=False
        )
    shutil.rmtree(base, ignore_errors=True)


def member(keys: Keys, name: str, *, ssh_options: str = "", pgp: bool = False) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name.title(), "email": PEOPLE[name]}
    if pgp:
        m["pgp_fingerprints"] = [keys.pgp[name].fingerprint]
        m["pgp_keys"] = [keys.pgp[name].armored]
    else:
        line = keys.ssh[name].public
        m["ssh_keys"] = [f"{PEOPLE[name]} {ssh_options} {line}" if ssh_options else line]
    return m


def default_approvals(keys: Keys) -> dict[str, Any]:
    return {
        "roles": {
            "security-lead": {"quorum": 1, "members": [member(keys, "alice"), member(keys, "carol")]},
            "ml-lead": {"quorum": 1, "members": [member(keys, "bob")]},
        },
        "required_roles": ["ml-lead", "security-lead"],
        "separation_of_duties": True,
        "policy_change_role": "security-lead",
    }


MANIFEST = {
    "apiVersion": "aigate.dev/v1",
    "kind": "ModelDeployment",
    "metadata": {"name": "fraud-detector", "owner": "ml-platform@example.com"},
    "model": {
        "name": "fraud-detector",
        "version": "1.1.0",
        "format": "safetensors",
        "artifacts": [
            {"path": "model/model.safetensors", "kind": "model"},
            {"path": "model/extra", "kind": "model"},
        ],
    },
}


@dataclass
class Project:
    root: Path
    keys: Keys
    approvals: dict[str, Any]
    policy_file: str = "policy/approvals.yaml"
    options: dict[str, Any] = field(default_factory=dict)
    base_commit: str = ""  # the previous release's commit (what its verified bundle records)

    def git(self, *args: str, **kw: Any) -> str:
        return run(["git", *args], cwd=self.root, **kw).strip()

    def commit(
        self, message: str, files: dict[str, bytes | str] | None = None, author: tuple[str, str] = AUTHOR
    ) -> str:
        for rel, content in (files or {}).items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content if isinstance(content, bytes) else content.encode())
            self.git("add", rel)
        name, email = author
        self.git(
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        )
        return self.git("rev-parse", "HEAD")

    @property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.root / "aigate.yaml").read_text())
        return data

    def write_policy(self, approvals: dict[str, Any]) -> str:
        doc = {"apiVersion": "aigate.dev/v1", "kind": "PolicyData", "approvals": approvals}
        return yaml.safe_dump(doc, sort_keys=True)

    def approve(self, signer: str, role: str, *, comment: str = "") -> str:
        """Record an approval with ``aigate``'s own code, signed with the signer's real key."""
        if signer in self.keys.ssh:
            ident = self.keys.ssh[signer]
            self.git("config", "gpg.format", "ssh")
            self.git("config", "user.signingkey", str(ident.private))
        else:
            pident = self.keys.pgp[signer]
            self.git("config", "gpg.format", "openpgp")
            self.git("config", "gpg.program", str(pident.program))
            self.git("config", "user.signingkey", pident.fingerprint)
        self.git("config", "user.name", signer.title())
        self.git("config", "user.email", PEOPLE[signer])
        raw = (self.root / "aigate.yaml").read_bytes()
        created = create_approval(
            self.root, self.manifest, raw, self.root / "aigate.yaml", role, comment=comment
        )
        return created.ref

    def collect(self, approvals: dict[str, Any] | None = None, **options: Any) -> Evidence:
        raw = (self.root / "aigate.yaml").read_bytes()
        ctx = CollectContext(
            root=self.root,
            manifest=yaml.safe_load(raw),
            manifest_path=self.root / "aigate.yaml",
            manifest_digest=hashlib.sha256(raw).hexdigest(),
            policy_data={"approvals": copy.deepcopy(approvals if approvals is not None else self.approvals)},
            options={"signoffs": {"policy_paths": [str(self.root / self.policy_file)], **self.base(), **options}},
        )
        return SignoffsCollector().collect(ctx)

    def base(self) -> dict[str, str]:
        """The range base the gate would pass: the previous release's commit (here: v1.0.0's, as a
        verified bundle would record it; the tag itself never anchors anything)."""
        return {"base": self.base_commit, "basis": "evidence"} if self.base_commit else {}

    def signoffs(self, approvals: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.collect(approvals, **options).data
        return data


def by_id(data: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(a for a in data["approvals"] if a["id"] == ref)


@pytest.fixture
def make_project(tmp_path: Path, keys: Keys) -> Any:
    def make(approvals: dict[str, Any] | None = None, name: str = "proj") -> Project:
        root = tmp_path / name
        root.mkdir()
        appr = approvals if approvals is not None else default_approvals(keys)
        project = Project(root, keys, appr)
        project.git("init", "-q", "-b", "main")
        for k, v in (
            ("commit.gpgSign", "false"),
            ("tag.gpgSign", "false"),
            ("user.name", AUTHOR[0]),
            ("user.email", AUTHOR[1]),
        ):
            project.git("config", k, v)
        old = copy.deepcopy(MANIFEST)
        old["model"]["version"] = "1.0.0"
        project.commit(
            "release 1.0.0",
            {
                "aigate.yaml": yaml.safe_dump(old, sort_keys=False),
                "model/model.safetensors": b"weights-1.0",
                "model/extra/tokenizer.json": "{}",
                project.policy_file: project.write_policy(appr),
                "README.md": "demo\n",
            },
        )
        project.git("tag", "v1.0.0")
        project.base_commit = project.git("rev-parse", "HEAD")
        project.commit(
            "release 1.1.0",
            {
                "aigate.yaml": yaml.safe_dump(MANIFEST, sort_keys=False),
                "model/model.safetensors": b"weights-1.1",
            },
        )
        return project

    return make


@pytest.fixture
def project(make_project: Any) -> Project:
    p: Project = make_project()
    return p


@pytest.fixture
def no_git_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has no git binary (stands in for a CI image without git)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = dict(os.environ)
    env["PATH"] = str(empty)
    return env
