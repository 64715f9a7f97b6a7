"""The files collector: document headings and last-commit times (COMPLY's evidence)."""

from __future__ import annotations

from pathlib import Path

from aigate_cli import git

from aigate.collect.files import last_commit_epoch, markdown_headings


def test_markdown_headings_skip_code_fences(tmp_path: Path) -> None:
    doc = tmp_path / "td.md"
    doc.write_text(
        "# Technical documentation\n\ntext\n\n## 1. General description ##\n"
        "```sh\n# not a heading\n```\n   ### Risk management\n#NoSpace\n    # indented code\n"
    )
    assert markdown_headings(doc) == ["Technical documentation", "1. General description", "Risk management"]


def test_last_commit_epoch_comes_from_git(tmp_path: Path) -> None:
    (tmp_path / "risk.md").write_text("# Risk\n")
    assert last_commit_epoch(tmp_path, "risk.md") is None  # not a repository
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "risk.md")
    git(tmp_path, "commit", "-qm", "risk", env={"GIT_COMMITTER_DATE": "2025-01-02T03:04:05Z"})
    assert last_commit_epoch(tmp_path, "risk.md") == 1735787045
    (tmp_path / "new.md").write_text("# New\n")
    assert last_commit_epoch(tmp_path, "new.md") is None  # never committed
