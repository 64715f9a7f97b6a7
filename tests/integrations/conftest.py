"""Fixtures for the integration tests (helpers live in ``integration_support.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from integration_support import make_workspace
from registry_support import plain_registry, tls_registry  # noqa: F401  (push tests: a real registry)


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[str], Path]:
    def make(example: str) -> Path:
        return make_workspace(tmp_path / "ws" / example, example)

    return make
