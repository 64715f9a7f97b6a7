"""One rule for "required in CI, skipped locally".

CI systems set ``CI`` (GitHub Actions and GitLab set ``true``, others ``1`` or ``yes``). Any value
except an empty one, ``0``, ``false`` or ``no`` means CI. In CI a missing tool is a failure, never
a skip: a green CI run must mean the test ran. Locally the test is skipped with the install hint.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(message: str) -> None:
    """A prerequisite is missing: fail in CI, skip locally. Never returns."""
    if in_ci():
        pytest.fail(f"{message} (required in CI)")
    pytest.skip(message)
