"""The attack suite's runner: one case folder per attack, run through the real ``aigate`` command.

A case is a folder under ``tests/attacks/`` holding either

- ``case.py``: a module with ``EXIT`` (expected exit code), ``MESSAGE`` (a substring the output
  must contain), ``SEEN`` (what main did before the fix: the proof the attack once worked), an
  optional ``XFAIL`` (a reason; the case then runs as a strict xfail) and
  ``setup(attack: Attack) -> list[str]`` that builds the hostile project and returns the
  ``aigate`` arguments; or
- ``case.yaml``: the same for attacks that are only files: ``exit``, ``message``, ``seen``,
  optional ``xfail``, ``project`` (``fraud-detector`` (default) or ``empty``), ``files``
  (project-relative path -> text, committed as the release) and ``args`` (``{root}`` is the
  project, ``{tmp}`` a scratch directory outside it).

Every project is a real git repository: a copy of ``examples/fraud-detector`` whose policy data
lists the test approvers (real ssh-keygen keys: alice and carol ``security-lead``, bob
``ml-lead``) and requires level 2 in stream A (so APPROVAL blocks), committed by Ann Author.
See tests/attacks/README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aigate_cli import EXAMPLES, Run, aigate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "signoff"))  # real keys: tests/signoff
from signoff_helpers import AUTHOR, PEOPLE, Keys, member

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def org_policy_data(keys: Keys) -> dict[str, Any]:
    """The organisation's bar in every case: level 2 in both streams, test approvers."""
    return {
        "apiVersion": "aigate.dev/v1",
        "kind": "PolicyData",
        "required_levels": {"A": 2, "B": 2},
        "thresholds": {
            "metric_minimums": {"auc": 0.90, "recall": 0.80},
            "metric_maximums": {"latency_p99_ms": 50},
        },
        "approvals": {
            "roles": {
                "security-lead": {"quorum": 1, "members": [member(keys, "alice"), member(keys, "carol")]},
                "ml-lead": {"quorum": 1, "members": [member(keys, "bob")]},
            },
            "required_roles": ["ml-lead", "security-lead"],
            "separation_of_duties": True,
            "policy_change_role": "security-lead",
        },
        # the example has no earlier release to roll back to; the organisation waives that for now
        "waivers": [
            {
                "control": "ROLLBACK",
                "owner": "sre@example.com",
                "reason": "first release under aigate: no earlier bundle to roll back to",
                "expires": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
            }
        ],
    }


@dataclass
class Attack:
    """A hostile release author's workspace: the project repository, the keys, a scratch directory."""

    root: Path
    tmp: Path
    keys: Keys

    # --- git -------------------------------------------------------------------------------
    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env={**os.environ, **GIT_ENV, **(env or {})},
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {args} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def commit(
        self,
        message: str,
        files: dict[str, str | bytes] | None = None,
        *,
        author: str = "ann",
        env: dict[str, str] | None = None,
    ) -> str:
        """Write ``files`` and commit everything as ``author`` (``ann`` is the release author)."""
        for rel, content in (files or {}).items():
            self.write(rel, content)
        name, email = AUTHOR if author == "ann" else (author.title(), PEOPLE[author])
        self.git("add", "-A")
        self.git(
            "-c", f"user.name={name}", "-c", f"user.email={email}",
            "commit", "-q", "--allow-empty", "-m", message, env=env,
        )  # fmt: skip
        return self.git("rev-parse", "HEAD")

    # --- the manifest and the policy data ----------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.root / "aigate.yaml").read_text())
        return data

    def set_manifest(self, data: dict[str, Any]) -> None:
        self.write("aigate.yaml", yaml.safe_dump(data, sort_keys=False))

    def bump_version(self, version: str = "1.5.0") -> None:
        """The next release's manifest (TRACK denies a release that keeps the previous version)."""
        data = self.manifest()
        data["model"]["version"] = version
        self.set_manifest(data)

    def policy(self, rel: str = "policy-data.yaml") -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.root / rel).read_text())
        return data

    def set_policy(self, data: dict[str, Any], rel: str = "policy-data.yaml") -> None:
        self.write(rel, yaml.safe_dump(data, sort_keys=False))

    # --- approvals through the real CLI -----------------------------------------------------
    def approve(self, signer: str, role: str, *extra: str, env: dict[str, str] | None = None) -> Run:
        """``aigate approve --role ROLE`` signed with ``signer``'s real ssh key."""
        ident = self.keys.ssh[signer]
        for k, v in (
            ("gpg.format", "ssh"),
            ("user.signingkey", str(ident.private)),
            ("user.name", signer.title()),
            ("user.email", ident.email),
        ):
            self.git("config", k, v)
        run = self.aigate("approve", "--role", role, "-C", str(self.root), *extra, env=env)
        if run.returncode != 0:
            raise AssertionError(f"approve failed:\n{run}")
        self.git("config", "user.name", AUTHOR[0])
        self.git("config", "user.email", AUTHOR[1])
        return run

    def aigate(self, *args: str, env: dict[str, str] | None = None) -> Run:
        return aigate(*args, cwd=self.root, env={**GIT_ENV, "HOME": str(self.tmp), **(env or {})})

    def record_release(self, name: str = "1.0.0", *, approve: bool = True) -> Path:
        """A recorded, signed, passing gate run of HEAD into the bundle store ``tmp/store``: the
        previous release (approved by alice and bob first, unless ``approve`` is false).

        The run is the organisation's CI: the store and the signing key live outside the project."""
        if approve:
            self.approve("alice", "security-lead")
            self.approve("bob", "ml-lead")
        key = self.tmp / "signing.pem"
        if not key.exists():
            from aigate.sign.key import generate_keypair

            generate_keypair(key, self.tmp / "signing.pub")
        store = self.tmp / "store"
        store.mkdir(exist_ok=True)
        run = self.aigate(
            "check", "-C", str(self.root), "--data", str(self.root / "policy-data.yaml"),
            "--sign", f"key:{key}", "--bundle-dir", str(store / name), "--bundles", str(store),
            "--verify-key", str(self.tmp / "signing.pub"), "--quiet",
        )  # fmt: skip
        if run.returncode != (0 if approve else 1) or not (store / name).is_dir():
            raise AssertionError(f"recording the previous release failed:\n{run}")
        return store

    def history_args(self) -> list[str]:
        """The flags that hand this run the previous releases (verified against the CI key)."""
        store = self.tmp / "store"
        return ["--bundles", str(store), "--verify-key", str(self.tmp / "signing.pub")]

    def org_data(self, data: dict[str, Any] | None = None) -> str:
        """The organisation's policy data outside the project (``a.tmp/org-policy.yaml``): its path."""
        path = self.tmp / "org-policy.yaml"
        path.write_text(yaml.safe_dump(data if data is not None else self.policy(), sort_keys=False))
        return str(path)

    def check_args(self, *extra: str, data: str | None = "policy-data.yaml") -> list[str]:
        """``check --dry-run -C ROOT --data policy-data.yaml --format json`` plus ``extra``."""
        args = ["check", "--dry-run", "-C", str(self.root), "--format", "json"]
        if data:
            args += ["--data", str(self.root / data)]
        return [*args, *extra]


def make_attack(tmp: Path, keys: Keys, project: str = "fraud-detector") -> Attack:
    """A fresh repository with the release's first commit (ann) and no tag."""
    root = tmp / "proj"
    scratch = tmp / "scratch"
    scratch.mkdir(parents=True)
    if project == "empty":
        root.mkdir()
    else:
        shutil.copytree(EXAMPLES / project, root, symlinks=True)
    attack = Attack(root, scratch, keys)
    attack.git("init", "-q", "-b", "main")
    for k, v in (
        ("commit.gpgSign", "false"),
        ("tag.gpgSign", "false"),
        ("user.name", AUTHOR[0]),
        ("user.email", AUTHOR[1]),
    ):
        attack.git("config", k, v)
    if project != "empty":
        attack.set_policy(org_policy_data(keys))
    attack.commit("release")
    return attack


def output_of(run: Run) -> str:
    return run.stdout + "\n" + run.stderr
