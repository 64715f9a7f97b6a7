"""Fixtures for the renderer tests; the decisions themselves are in ``report_cases.py``."""

from __future__ import annotations

import pytest
from report_cases import (
    ARTIFACTS,
    FAILING_FINDINGS,
    PASSING_FINDINGS,
    SIGNOFFS,
    WAIVER,
    check_golden,
    make_ctx,
)

from aigate.findings import StreamMaturity
from aigate.report.interface import BundleInfo, ReportContext


@pytest.fixture
def failing_ctx() -> ReportContext:
    return make_ctx(
        FAILING_FINDINGS,
        (StreamMaturity("A", 0, 1, ("ENV",)), StreamMaturity("B", 2, 1, ("DRIFT",))),
        meta={
            "signoffs": SIGNOFFS,
            "artifacts": ARTIFACTS,
            "waivers": [WAIVER],
            "evidence_time": "2026-11-26T18:00:00Z",
        },
        notes=("fast path: SBOM and artifact hashing were not run",),
    )


@pytest.fixture
def passing_ctx() -> ReportContext:
    return make_ctx(
        PASSING_FINDINGS,
        (StreamMaturity("A", 1, 1, ("APPROVAL",)), StreamMaturity("B", 1, 1, ("RBAC",))),
        dry_run=False,
        bundle=BundleInfo("out/bundle", "sha256:" + "ab" * 32),
    )


@pytest.fixture
def golden() -> object:
    return check_golden


@pytest.fixture(name="make_ctx")
def make_ctx_fixture() -> object:
    return make_ctx
