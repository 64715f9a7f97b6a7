"""Shared decisions for the renderer tests, built from real ``aigate.findings`` objects.

``failing_ctx`` covers every kind of result a renderer must place: a blocking deny, a warning, an
advisory (non-blocking) deny, a waiver, a policy exception, passes on evidence and on declarations
only, a control that produced nothing (not evaluated), extensions, user-policy findings located in
their input file (two in one file under one rule, to exercise fingerprint collisions), regulatory
references, and text that tries to break out of each format (``%``, CR/LF, ``:``/``,``, HTML,
Markdown, backticks, a workflow command). ``passing_ctx`` is a clean pass.

Golden files live in ``golden/``; regenerate them with ``AIGATE_UPDATE_GOLDEN=1 pytest tests/report``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

from aigate.findings import Basis, Decision, Finding, Location, Severity, StreamMaturity, summarize
from aigate.report.interface import BundleInfo, ControlInfo, ReportContext

GOLDEN = Path(__file__).parent / "golden"
SCHEMAS = Path(__file__).parent / "schemas"

MANIFEST = "examples/fraud-detector/aigate.yaml"
K8S = "examples/fraud-detector/deploy/k8s.yaml"

CONTROLS = (
    ControlInfo(
        "ENV",
        "Environment capture",
        1,
        "A",
        "aima",
        "The runtime environment is captured and the serving image is pinned by digest.",
        {"eu-ai-act": ["Art. 12"], "nist-ai-rmf": ["MAP 2.3"]},
        "aigate.controls.env",
        "policies/aigate/controls/env.rego",
    ),
    ControlInfo(
        "DEP",
        "Dependency logging",
        1,
        "A",
        "aima",
        "An SBOM and a lockfile are present and consistent; model artifacts are hashed.",
        {"eu-ai-act": ["Annex IV 2(a)"], "iso-42001": ["A.6.2.3"]},
    ),
    ControlInfo("TRACK", "Manual tracking", 1, "A", "aima", "The manifest is valid and a model card exists."),
    ControlInfo(
        "MON",
        "Basic monitoring",
        1,
        "B",
        "aima",
        "Evaluation metrics meet their thresholds.",
        {"nist-ai-rmf": ["MEASURE 2.4"]},
    ),
    ControlInfo("IOLOG", "I/O logging", 1, "B", "aima", "Inputs and outputs are logged with redaction."),
    ControlInfo(
        "USAGE", "Usage metrics", 1, "B", "aima", "Invocation count and latency metrics are declared."
    ),
    ControlInfo(
        "APPROVAL",
        "Approval workflows",
        2,
        "A",
        "aima",
        "Signed sign-offs from enough distinct approvers per required role.",
        {"eu-ai-act": ["Art. 14"], "iso-42001": ["A.6.2.5"]},
    ),
    ControlInfo(
        "RBAC", "Access restrictions", 2, "B", "aima", "The endpoint is not public; no wildcard grants."
    ),
    ControlInfo(
        "DRIFT", "Drift detection", 3, "B", "aima", "Drift method, thresholds and a clean drift report."
    ),
    ControlInfo(
        "MODELSAFE",
        "Model files carry no executable payload",
        None,
        None,
        "extension",
        "Pickle-based artifacts pass an allowlist-based opcode scan.",
        {"nist-ai-rmf": ["MANAGE 2.2"]},
    ),
    ControlInfo(
        "LICENSE", "Dependency and model licenses are allowed", None, None, "extension", "SPDX check."
    ),
)

WAIVER = {
    "control": "IOLOG",
    "rule": "retention",
    "reason": "legal hold pending",
    "owner": "ciso@example.com",
    "expires": "2027-01-31",
    "ticket": "SEC-1234",
}

FAILING_FINDINGS = (
    Finding(
        "ENV",
        "image-pinned",
        Severity.DENY,
        "serving image registry.example.com/fraud:latest is not pinned by digest: 100% of images must be, "
        "use image@sha256:<digest>",
        location=Location(MANIFEST, 21, 10, "/serving/image"),
        references={"eu-ai-act": ["Art. 12"], "nist-ai-rmf": ["MAP 2.3"]},
    ),
    Finding("DEP", "sbom-lock-consistent", Severity.PASS, "42 SBOM packages match the lockfile"),
    Finding(
        "TRACK",
        "model-card",
        Severity.PASS,
        "model card MODEL_CARD.md is declared",
        basis=Basis.DECLARED,
        location=Location(MANIFEST, 16, 9, "/model/card"),
    ),
    Finding(
        "MON",
        "threshold",
        Severity.WARN,
        "auc 0.91 is below the threshold 0.93\nsecond line <b>bold</b> *not emphasis* [link](http://x)",
        location=Location(MANIFEST, 40, 5, "/evaluation/metrics"),
    ),
    Finding(
        "IOLOG",
        "retention",
        Severity.WAIVED,
        "I/O log retention is 90 days, below 180",
        location=Location(MANIFEST, 33, 7, "/monitoring/io_logging/retention_days"),
        waiver=WAIVER,
    ),
    Finding(
        "APPROVAL",
        "quorum",
        Severity.DENY,
        "role ml-lead needs 2 approvals, found 1",
        blocking=False,
    ),
    Finding("RBAC", "no-wildcard", Severity.EXCEPTION, "wildcard grant in deploy/k8s.yaml excepted"),
    Finding(
        "DRIFT",
        "declared",
        Severity.DENY,
        "no drift method declared",
        basis=Basis.DECLARED,
        blocking=False,
        location=Location(MANIFEST, 1, None, "/monitoring"),
    ),
    Finding(
        "MODELSAFE",
        "pickle-opcodes",
        Severity.DENY,
        "model/model.pkl imports os.system (GLOBAL opcode at byte 52)",
        location=Location("examples/fraud-detector/model/model.pkl"),
        references={"nist-ai-rmf": ["MANAGE 2.2"]},
    ),
    Finding("LICENSE", "allowed", Severity.PASS, "all 42 licenses allowed"),
    Finding(
        "USER",
        "deny_run_as_root",
        Severity.DENY,
        "Deployment fraud | runs as root; `kubectl` ::set-output name=x::y 50%,ok",
        location=Location(K8S, 21, 7),
        namespace="main",
        source=K8S,
    ),
    Finding(
        "USER",
        "deny_run_as_root",
        Severity.DENY,
        "Deployment fraud-shadow runs as root",
        location=Location(K8S, 58, 7),
        namespace="main",
        source=K8S,
    ),
    Finding(
        "USER",
        "warn_labels",
        Severity.WARN,
        "Deployment fraud has no app.kubernetes.io/version label",
        namespace="kubernetes.labels",
        source=K8S,
    ),
)

SIGNOFFS = {
    "satisfied": False,
    "policy_change": False,
    "roles": {"ml-lead": {"quorum": 2, "counted": 1, "satisfied": False}},
    "approvals": [
        {
            "role": "ml-lead",
            "signer": "alice@example.com",
            "key": "SHA256:x1Y2z3",
            "verified": True,
            "counted": True,
            "reason": "",
            "commit": "a1b2c3d",
        },
        {
            "role": "ml-lead",
            "signer": "mallory@example.com",
            "key": None,
            "verified": False,
            "counted": False,
            "reason": "unsigned trailer",
            "commit": "d4e5f6a",
        },
    ],
}

ARTIFACTS = [
    {
        "path": "model/model.pkl",
        "kind": "model",
        "format": "pickle",
        "size": 1024,
        "sha256": "9f" * 32,
        "safety": {"status": "unsafe", "scanner": "fickling"},
    }
]


def make_ctx(
    findings: tuple[Finding, ...],
    maturity: tuple[StreamMaturity, ...],
    *,
    fail_on_warn: bool = False,
    dry_run: bool = True,
    meta: dict[str, object] | None = None,
    bundle: BundleInfo | None = None,
    notes: tuple[str, ...] = (),
) -> ReportContext:
    decision = Decision(
        findings=findings,
        maturity=maturity,
        summary=summarize(findings),
        fail_on_warn=fail_on_warn,
        dry_run=dry_run,
        meta=dict(meta or {}),
    )
    return ReportContext(
        decision=decision,
        controls=CONTROLS,
        manifest_path=MANIFEST,
        project_root="examples/fraud-detector",
        tool_version="0.1.0",
        bundle=bundle,
        notes=notes,
    )


PASSING_FINDINGS = (
    Finding("ENV", "image-pinned", Severity.PASS, "serving image pinned by digest"),
    Finding("DEP", "sbom-lock-consistent", Severity.PASS, "42 SBOM packages match the lockfile"),
    Finding("TRACK", "model-card", Severity.PASS, "model card present", basis=Basis.DECLARED),
    Finding("MON", "threshold", Severity.PASS, "auc 0.95 meets 0.93"),
    Finding("IOLOG", "retention", Severity.PASS, "retention 365 days"),
    Finding(
        "USAGE", "metrics", Severity.PASS, "invocation and latency metrics declared", basis=Basis.DECLARED
    ),
    Finding("MODELSAFE", "pickle-opcodes", Severity.PASS, "no pickle artifacts"),
    Finding("LICENSE", "allowed", Severity.PASS, "all 42 licenses allowed"),
)


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>`` byte for byte (or rewrite it when asked)."""
    path = GOLDEN / name
    if os.environ.get("AIGATE_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with AIGATE_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"
