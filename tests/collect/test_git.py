"""``input.git`` from real repositories, each field checked against git's own plumbing.

The collector reads HEAD, the branch and the dirty state from one ``git status --porcelain=v2``;
the reference answers here come from the single-purpose commands (``rev-parse HEAD``,
``symbolic-ref``, ``tag --points-at``, ``status --porcelain``, ``rev-parse --is-shallow-repository``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from aigate.collect.git import collect_git

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_NAME": "Cy Committer",
    "GIT_COMMITTER_EMAIL": "cy@example.com",
    "GIT_COMMITTER_DATE": "1700000100 +0000",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def reference(root: Path) -> dict[str, object]:
    """What git's single-purpose commands say about HEAD."""
    ref = subprocess.run(
        ["git", "-C", str(root), "symbolic-ref", "-q", "--short", "HEAD"],
        env=ENV,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tags = sorted(t for t in git(root, "tag", "--points-at", "HEAD").split() if not t.startswith("aigate/"))
    return {
        "commit": git(root, "rev-parse", "HEAD"),
        "ref": ref or None,
        "detached": not ref,
        "tags": tags,
        "dirty": bool(git(root, "status", "--porcelain", "--untracked-files=no")),
        "shallow": git(root, "rev-parse", "--is-shallow-repository") == "true",
    }


def observed(root: Path) -> dict[str, object]:
    data = collect_git(root)
    return {k: data[k] for k in ("commit", "ref", "detached", "tags", "dirty", "shallow")}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("one\n")
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_not_a_repository(tmp_path: Path) -> None:
    assert collect_git(tmp_path) == {"is_repo": False}


def test_no_commit_yet(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    data = collect_git(tmp_path)
    assert data["is_repo"] is True and data["commit"] is None and data["dirty"] is True


def test_clean_branch(repo: Path) -> None:
    data = collect_git(repo)
    assert observed(repo) == reference(repo)
    assert data["ref"] == "main" and data["dirty"] is False and data["tag"] is None
    assert data["author"] == {"name": "Ada Author", "email": "ada@example.com"}
    assert data["committer"] == {"name": "Cy Committer", "email": "cy@example.com"}
    assert data["commit_time"] == 1700000100


def test_dirty_states(repo: Path) -> None:
    (repo / "untracked.txt").write_text("new\n")  # untracked files do not make a release dirty
    assert observed(repo) == reference(repo) and observed(repo)["dirty"] is False
    (repo / "a.txt").write_text("two\n")  # a modified tracked file
    assert observed(repo) == reference(repo) and observed(repo)["dirty"] is True
    git(repo, "add", "a.txt")  # staged
    assert observed(repo) == reference(repo) and observed(repo)["dirty"] is True


def test_detached_head_and_tags(repo: Path) -> None:
    git(repo, "tag", "v1.0.0")
    git(repo, "tag", "-a", "-m", "annotated", "v0.9.0")
    git(repo, "tag", "aigate/approval/x")  # aigate's own records are never release tags
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "tag", "later")
    git(repo, "checkout", "-q", "--detach", "v1.0.0")
    data = collect_git(repo)
    assert observed(repo) == reference(repo)
    assert data["detached"] is True and data["ref"] is None
    assert data["tags"] == ["v0.9.0", "v1.0.0"] and data["tag"] == "v0.9.0"


def test_branch_with_slash(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "release/2026.12")
    assert observed(repo) == reference(repo)
    assert collect_git(repo)["ref"] == "release/2026.12"


def test_shallow_clone(repo: Path, tmp_path: Path) -> None:
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], env=ENV, check=True)
    assert observed(clone) == reference(clone) and observed(clone)["shallow"] is True
    assert observed(repo)["shallow"] is False


def test_range_since(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "second")
    data = collect_git(repo, since=first)
    assert data["range"] == {"base": first, "head": git(repo, "rev-parse", "HEAD")}
    assert data["changed_paths"] == ["b.txt"]
