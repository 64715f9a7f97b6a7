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
from aigate.errors import CollectorError

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


def previous_release_tag(root: Path, pattern: str | None = None) -> str | None:
    """The newest tag reachable from HEAD's parent (aigate's reserved tags excluded)."""
    args = ["describe", "--tags", "--abbrev=0", "--exclude", RESERVED_TAG_PREFIX + "*"]
    if pattern:
        args += ["--match", pattern]
    out = _git(root, *args, "HEAD^", check=False)
    return out.strip() if out else None


def collect_git(root: Path, *, since: str | None = None, tag_pattern: str | None = None) -> dict[str, Any]:
    if shutil.which("git") is None:
        raise CollectorError("the git executable was not found on PATH", hint="install git")
    inside = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if not inside or inside.strip() != "true":
        return {"is_repo": False}
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False)
    if not head:
        return {"is_repo": True, "commit": None, "dirty": True, "range": None, "changed_paths": None}
    commit = head.strip()
    log = _git(root, "log", "-1", "--format=%an%x00%ae%x00%ct%x00%cn%x00%ce", "HEAD") or ""
    an, ae, ct, cn, ce = (log.strip().split("\x00") + [""] * 5)[:5]
    ref = (_git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False) or "").strip() or None
    tags = sorted(
        t
        for t in (_git(root, "tag", "--points-at", "HEAD") or "").split()
        if not t.startswith(RESERVED_TAG_PREFIX)
    )
    status = _git(root, "status", "--porcelain", "--untracked-files=no") or ""
    shallow = (_git(root, "rev-parse", "--is-shallow-repository", check=False) or "").strip() == "true"
    base = since or previous_release_tag(root, tag_pattern)
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
        "dirty": bool(status.strip()),
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
            collect_git(ctx.root, since=ctx.options.get("since"), tag_pattern=ctx.options.get("tag_pattern")),
        )
