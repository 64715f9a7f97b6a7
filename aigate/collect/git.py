"""Git state of the release (``input.git``): commit, ref, tag, dirty, author, release range.

Uses a handful of plain ``git`` invocations rather than gitpython objects: this collector is on
the pre-commit fast path (≤ 0.5 s for the whole hook). A project that is not a git repository is
data (``is_repo: false``), not an error: the controls that need git history deny on it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import CollectorError, InputError

# Tags under this prefix are aigate's own records (approvals), never release tags.
RESERVED_TAG_PREFIX = "aigate/"


def _git(root: Path, *args: str, check: bool = True) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        raise CollectorError(f"git {' '.join(args)} timed out in {root}") from None
    if proc.returncode != 0:
        if check:
            raise CollectorError(f"git {' '.join(args)} failed in {root}: {proc.stderr.strip()[:200]}")
        return None
    return proc.stdout


def collect_git(root: Path, *, since: str | None = None) -> dict[str, Any]:
    if shutil.which("git") is None:
        raise CollectorError("the git executable was not found on PATH", hint="install git")
    # four git processes in all (this runs on every pre-commit hook): rev-parse answers both
    # questions, and one `status` gives HEAD's commit, its branch and whether tracked files changed
    probe = (
        _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", check=False) or ""
    ).split()
    if not probe or probe[0] != "true":
        return {"is_repo": False}
    shallow = probe[1:2] == ["true"]
    status = (
        _git(root, "status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--untracked-files=no") or ""
    )
    headers = dict(
        line[2:].split(" ", 1) for line in status.splitlines() if line.startswith("# ") and " " in line[2:]
    )
    commit = headers.get("branch.oid", "")
    if not commit or commit == "(initial)":  # no commit yet
        return {"is_repo": True, "commit": None, "dirty": True, "range": None, "changed_paths": None}
    log = _git(root, "log", "-1", "--format=%an%x00%ae%x00%ct%x00%cn%x00%ce", commit) or ""
    an, ae, ct, cn, ce = (log.strip().split("\x00") + [""] * 5)[:5]
    branch = headers.get("branch.head")
    ref = branch if branch and branch != "(detached)" else None
    tags = sorted(
        t
        for t in (_git(root, "tag", "--points-at", commit) or "").split()
        if not t.startswith(RESERVED_TAG_PREFIX)
    )
    dirty = any(line and not line.startswith("# ") for line in status.splitlines())
    # the range base is the previous verified release's commit (gate.py: resolve_base), never a tag
    base = since
    changed: list[str] | None = None
    rng: dict[str, Any] | None = None
    if base:
        diff = _git(root, "diff", "--name-only", f"{base}..HEAD", check=False)
        if diff is not None:
            changed = sorted(set(diff.split("\n")) - {""})
        rng = {"base": base, "head": commit}
    return {
        "is_repo": True,
        "commit": commit,
        "ref": ref,
        "detached": ref is None,
        "tag": tags[0] if tags else None,
        "tags": tags,
        "dirty": dirty,
        "shallow": shallow,
        "author": {"name": an, "email": ae},
        "committer": {"name": cn, "email": ce},
        "commit_time": int(ct) if ct.isdigit() else None,
        "range": rng,
        "changed_paths": changed,
    }


class GitCollector(Collector):
    key = "git"

    def collect(self, ctx: CollectContext) -> Evidence:
        return Evidence(
            self.key,
            collect_git(ctx.root, since=ctx.options.get("range_base")),
        )


def _commit_of(root: Path, rev: str, what: str) -> str:
    out = _git(root, "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if not out:
        raise InputError(
            f"{what} {rev!r} is not a commit in this clone", hint="fetch the full history (fetch-depth: 0)"
        )
    return out.strip()


def _is_ancestor(root: Path, older: str, newer: str) -> bool:
    return _git(root, "merge-base", "--is-ancestor", older, newer, check=False) is not None


def resolve_base(root: Path, anchor: dict[str, Any], since: str | None) -> dict[str, Any]:
    """The release range's base: the anchor (the previous verified release's recorded commit),
    never a tag. ``--since`` may only widen it (an ancestor of the anchor) and must be an ancestor
    of HEAD; without an anchor it is used as declared. Returns ``{"commit", "basis", "since",
    "reason"}``; basis ``evidence`` (anchored), ``declared`` (--since alone) or ``none`` (the
    whole history from the first commit)."""
    if shutil.which("git") is None or _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False) is None:
        return {"commit": None, "basis": "none", "since": since, "reason": "no git history"}
    head = _commit_of(root, "HEAD", "HEAD")
    base = anchor.get("commit")
    if base and not _is_ancestor(root, base, head):
        raise InputError(
            f"the previous release's recorded commit {base[:12]} is not an ancestor of HEAD",
            hint="history was rewritten or the clone is shallow; fetch with fetch-depth: 0",
        )
    if since:
        wanted = _commit_of(root, since, "--since")
        if not _is_ancestor(root, wanted, head):
            raise InputError(f"--since {since!r} is not an ancestor of HEAD")
        if base and not _is_ancestor(root, wanted, base):
            raise InputError(
                f"--since {since!r} would start the range after the previous release's commit "
                f"{base[:12]}; it may only widen the range"
            )
        return {"commit": wanted, "basis": "evidence" if base else "declared", "since": since, "reason": None}
    if base:
        return {"commit": base, "basis": "evidence", "since": None, "reason": None}
    return {"commit": None, "basis": "none", "since": None, "reason": anchor.get("reason")}
