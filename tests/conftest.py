"""Fixtures shared by every test folder (helpers live in ``aigate_cli.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from aigate_cli import EXAMPLES, Run, aigate


@pytest.fixture
def run_aigate() -> Callable[..., Run]:
    return aigate


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of an example project (tests may modify it)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(EXAMPLES / name, dest, symlinks=True)
        return dest

    return copy
