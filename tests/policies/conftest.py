"""Shared fixtures for the built-in Rego library tests.

Until ``aigate policy test`` exists, this is the harness: every ``.rego`` file under
``policies/`` (controls, helpers and ``*_test.rego`` files) is compiled once per session with
regopy, and every ``test_`` rule of every test package must evaluate to ``true``.

regopy notes that shape the harness: a query whose output is not ``ok()`` must not be turned into
a string (that segfaults), and a failing ``test_`` rule is simply absent from the package's value,
so the expected rule names are read from the source files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
DEFAULT_DATA = ROOT / "aigate" / "data" / "default-policy-data.yaml"
SCHEMAS = ROOT / "aigate" / "schemas"
EXAMPLES = ROOT / "examples"

_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\s+if\b", re.MULTILINE)


@dataclass(frozen=True)
class RegoTest:
    package: str
    name: str
    file: Path

    @property
    def id(self) -> str:
        return f"{self.package.rsplit('.', 1)[-1]}::{self.name}"


def rego_files(include_tests: bool = True) -> list[Path]:
    files = sorted(POLICIES.rglob("*.rego"))
    return [f for f in files if include_tests or not f.name.endswith("_test.rego")]


def discover_tests() -> list[RegoTest]:
    found: list[RegoTest] = []
    for path in rego_files():
        if not path.name.endswith("_test.rego"):
            continue
        text = path.read_text(encoding="utf-8")
        package = _PACKAGE.search(text)
        assert package, f"{path}: no package line"
        names = _TEST_RULE.findall(text)
        assert len(names) == len(set(names)), f"{path}: duplicate test rule names"
        found += [RegoTest(package.group(1), n, path) for n in names]
    return found


def default_policy_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_DATA.read_text(encoding="utf-8"))
    return data


def new_interpreter(include_tests: bool, data: dict[str, Any] | None = None) -> Any:
    from regopy import Interpreter

    interp = Interpreter()
    for path in rego_files(include_tests):
        interp.add_module(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    config = default_policy_data() if data is None else data
    interp.add_data_json(json.dumps({"aigate": {"config": config}}))
    return interp


def query_value(interp: Any, ref: str) -> Any:
    """Evaluate ``x = <ref>`` and return x, or raise AssertionError if regopy reports an error."""
    out = interp.query(f"x = {ref}")
    if not out.ok():
        # never str() a failed output: regopy segfaults on it
        raise AssertionError(f"regopy could not evaluate {ref}")
    text = str(out)
    if text == "undefined":
        return None
    return json.loads(text)["bindings"]["x"]


class RegoTestRun:
    """Evaluates every test package in one query (regopy compiles per query, ~0.6 s each)."""

    def __init__(self) -> None:
        self.interp = new_interpreter(include_tests=True)
        self._all: dict[str, Any] | None = None

    def results(self, package: str) -> dict[str, Any]:
        if self._all is None:
            value = query_value(self.interp, "data.aigate")
            self._all = value if isinstance(value, dict) else {}
        node: Any = self._all
        for part in package.split(".")[1:]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}


@pytest.fixture(scope="session")
def rego_run() -> RegoTestRun:
    return RegoTestRun()


def evaluate_library(input_doc: dict[str, Any], data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the production library (no test files) over one input; return data.aigate.controls."""
    interp = new_interpreter(include_tests=False, data=data)
    interp.set_input_term(json.dumps(input_doc))
    value = query_value(interp, "data.aigate.controls")
    assert isinstance(value, dict)
    return value


CONTROLS = [
    *["env", "dep", "track", "mon", "iolog", "usage", "approval", "rollback", "audit", "rbac"],
    *["accesslog", "encrypt", "comply", "automate", "auditready", "resilience", "drift", "alert"],
    *["modelsafe", "license"],
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rego_case" in metafunc.fixturenames:
        tests = discover_tests()
        metafunc.parametrize("rego_case", tests, ids=[t.id for t in tests])
    if "control" in metafunc.fixturenames:
        metafunc.parametrize("control", CONTROLS)


@pytest.fixture(scope="session")
def all_rego_tests() -> list[RegoTest]:
    return discover_tests()


@pytest.fixture(scope="session")
def evaluate() -> Any:
    """The production library evaluated over one input document (see :func:`evaluate_library`)."""
    return evaluate_library


# --- input documents of the documented shape (docs/input.md) ------------------------------------

DIGEST = "sha256:" + "0f3e1f5c4b8a9d7e" * 4


def full_manifest() -> dict[str, Any]:
    """A manifest that declares everything the controls look at."""
    return {
        "apiVersion": "aigate.dev/v1",
        "kind": "ModelDeployment",
        "metadata": {"name": "fraud-detector", "owner": "ml-platform@example.com"},
        "model": {
            "name": "fraud-detector",
            "version": "1.4.0",
            "format": "safetensors",
            "license": "Apache-2.0",
            "artifacts": [{"path": "model/model.safetensors", "kind": "model"}],
            "card": "MODEL_CARD.md",
            "changelog": "CHANGELOG.md",
        },
        "serving": {
            "runtime": "kserve",
            "image": "registry.example.com/fraud@" + DIGEST,
            "endpoint": {"url": "https://fraud.internal", "visibility": "internal", "auth": "oidc"},
            "runtime_files": ["serving/config.yaml"],
        },
        "dependencies": {"requirements": "requirements.txt", "pylock": "pylock.toml"},
        "access": {
            "roles": [{"name": "ml-operator", "permissions": ["predict", "read-logs"]}],
            "kubernetes_manifests": ["deploy/k8s.yaml"],
            "logging": {"enabled": True, "retention_days": 365, "sink": "cloudwatch:/fraud/access"},
        },
        "encryption": {
            "at_rest": {"enabled": True, "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/abc"},
            "logs": {"enabled": True, "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/def"},
            "in_transit": {"tls": True},
        },
        "monitoring": {
            "metrics": {
                "invocations": "model_invocations_total",
                "latency": "model_latency_seconds",
                "dashboard": "grafana:fraud",
            },
            "io_logging": {
                "enabled": True,
                "redaction": True,
                "retention_days": 200,
                "schema": "logs/schema.json",
                "sample": "logs/sample.jsonl",
            },
            "drift": {
                "method": "psi",
                "threshold": 0.2,
                "key_features": ["amount", "country"],
                "report": "reports/drift.json",
            },
            "alerts": {"rules": "monitoring/alerts.yaml", "sink": "pagerduty:ml-oncall"},
        },
        "resilience": {
            "kill_switch": {"enabled": True, "mechanism": "feature flag", "runbook": "runbooks/safe-shutdown.md"},
            "runbook": "runbooks/incident.md",
        },
        "rollback": {"target": "1.3.2", "bundle": "releases/1.3.2", "runbook": "runbooks/rollback.md"},
        "compliance": {
            "risk_class": "high",
            "frameworks": ["eu-ai-act"],
            "documents": {
                "technical_documentation": "docs/annex-iv.md",
                "risk_assessment": "docs/risk.md",
                "data_governance": "docs/data.md",
                "human_oversight": "docs/oversight.md",
                "instructions_for_use": "docs/instructions.md",
                "post_market_monitoring": "docs/pmm.md",
            },
        },
        "evaluation": {"metrics": "reports/metrics.json"},
    }


# ALERT's evidence for a rule with a routed severity and a runbook file that exists
ALERT_META: dict[str, Any] = {
    "labels": {"severity": "page"},
    "severity": "page",
    "runbook": {"annotation": "runbook_url", "type": "path", "path": "runbooks/incident.md", "exists": True},
}


def _looks_like_path(text: str) -> bool:
    if ":" in text or text.startswith("http"):
        return False
    return "/" in text or text.endswith((".md", ".txt", ".toml", ".json", ".yaml"))


def manifest_paths(manifest: dict[str, Any]) -> list[str]:
    """Every path string the manifest names (what the lead's files collector reports on)."""
    out: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and _looks_like_path(node):
            out.append(node)

    walk(manifest)
    return sorted(set(out))


def files_for(manifest: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        # runbooks are written procedures (RESILIENCE: resilience.runbook_min_bytes, 200)
        p: {"exists": True, "sha256": "0" * 64, "size": 2000 if p.startswith("runbooks/") else 10,
            "kind": "file", "mtime_epoch": now - 86400}
        for p in manifest_paths(manifest)
    }


def minimal_input() -> dict[str, Any]:
    """The fast pre-commit shape: only aigate, manifest and files; every evidence key null."""
    manifest = {
        "apiVersion": "aigate.dev/v1",
        "kind": "ModelDeployment",
        "metadata": {"name": "m"},
        "model": {"name": "m", "version": "0.1.0", "artifacts": [{"path": "m.bin"}]},
    }
    return {
        "aigate": {
            "version": "1",
            "mode": "dry-run",
            "fast": True,
            "policy_digest": DIGEST,
            "engine": "embedded",
        },
        "manifest": manifest,
        "files": {
            "m.bin": {"exists": False, "sha256": None, "size": None, "kind": "missing", "mtime_epoch": None}
        },
        **{k: None for k in EVIDENCE_KEYS},
    }


EVIDENCE_KEYS = (
    "environment",
    "dependencies",
    "sbom",
    "artifacts",
    "signoffs",
    "git",
    "history",
    "reports",
    "ci",
)


def full_evidence_input(components: int = 5000) -> dict[str, Any]:
    """A recorded CI run with every evidence key filled, SBOM and licenses as summaries."""
    now = 1_800_000_000
    manifest = full_manifest()
    return {
        "aigate": {
            "version": "1",
            "tool_version": "0.1.0",
            "mode": "record",
            "fast": False,
            "policy_digest": DIGEST,
            "engine": "embedded",
            "now_epoch": now,
            "signing": "keyless",
        },
        "manifest": manifest,
        "files": files_for(manifest, now),
        "environment": {
            "python": {"implementation": "CPython", "version": "3.11.7", "abi": "cp311"},
            "platform": {"system": "Linux", "release": "6.1", "machine": "x86_64", "libc": "glibc 2.36"},
            "cpu": {"model": "x", "count": 2},
            "memory_bytes": 8 << 30,
            "accelerators": [],
            "container": {"image": "registry.example.com/fraud", "digest": DIGEST},
            "ci": {"provider": "github"},
            "git": {"commit": "a" * 40, "dirty": False},
            "env": {"CI": "true", "GITHUB_TOKEN": "[REDACTED]"},
            "redactions": [{"name": "GITHUB_TOKEN", "reason": "name"}],
            "runtime_files": {"serving/config.yaml": "0" * 64},
        },
        "dependencies": {
            "lock": {"source": "installed", "packages_count": 1},
            "lockfile": {"path": "pylock.toml", "format": "pylock", "packages_count": components - 1},
            "lock_mismatches": [],
            "licenses": {
                "summary": {"allow": components - 3, "deny": 0, "review": 3, "unknown": 0},
                "denied": [],
                "review": [
                    {"name": f"pkg{i}", "version": "1.0", "expression": "GPL-3.0-only", "reason": "review"}
                    for i in range(3)
                ],
                "checked": components,
                "total": components,
            },
        },
        "sbom": {
            "spec_version": "1.6",
            "valid": True,
            "components_count": components + 1,
            "packages_count": components,
            "models": [
                {
                    "name": "fraud-detector",
                    "version": "1.4.0",
                    "sha256": "b" * 64,
                    "path": "model/model.safetensors",
                }
            ],
            "datasets": [],
            "digest": DIGEST,
        },
        "artifacts": [
            {
                "path": "model/model.safetensors",
                "kind": "model",
                "files": [{"path": "model/model.safetensors", "size": 4096, "sha256": "b" * 64}],
                "size": 4096,
                "sha256": "c" * 64,
                "format": "safetensors",
                "safety": {"status": "safe", "scanner": "format", "findings": []},
            }
        ],
        "signoffs": {
            "required": [{"role": "ml-lead", "quorum": 1}, {"role": "security-lead", "quorum": 1}],
            "approvals": [],
            "roles": {
                "ml-lead": {"quorum": 1, "counted": 1, "satisfied": True},
                "security-lead": {"quorum": 1, "counted": 1, "satisfied": True},
            },
            "policy_change": False,
            "satisfied": True,
        },
        "git": {
            "commit": "a" * 40,
            "ref": "refs/tags/v1.4.0",
            "tag": "v1.4.0",
            "dirty": False,
            "author": {"name": "Dev", "email": "dev@example.com"},
            "commit_time": now - 3600,
            "range": {"base": "b" * 40, "head": "a" * 40},
            "changed_paths": ["model/model.safetensors", "CHANGELOG.md"],
            "is_repo": True,
        },
        "history": {
            "previous": {
                "version": "1.3.2",
                "decision": "pass",
                "bundle_digest": DIGEST,
                "decision_digest": DIGEST,
                "verified": True,
                "metrics": {"metrics": {"auc": 0.93}},
            },
            "rollback_target": {"version": "1.3.2", "found": True, "verified": True, "passed": True},
            "chain": {"length": 4, "verified": True},
        },
        "reports": {
            "metrics": {"metrics": {"auc": 0.94}},
            "drift": {
                "version": "1.4.0",
                "features": {
                    "amount": {"method": "psi", "score": 0.01, "drifted": False},
                    "country": {"method": "psi", "score": 0.02, "drifted": False},
                },
            },
            "alerts": {
                "groups": 1,
                "parsed": True,
                "promtool": "pass",
                "rules": [
                    {"name": "FraudAnomaly", "expr": "fraud_score_zscore > 4", **ALERT_META},
                    {
                        "name": "FraudErrorRate",
                        "expr": "rate(model_errors_total[5m]) / rate(model_invocations_total[5m]) > 0.01",
                        **ALERT_META,
                    },
                    {
                        "name": "FraudLatency",
                        "expr": "histogram_quantile(0.99, rate(model_latency_seconds_bucket[5m])) > 0.2",
                        **ALERT_META,
                    },
                    {"name": "FraudDrift", "expr": "fraud_feature_psi > 0.2", **ALERT_META},
                ],
                # where the collector found each declared usage metric (USAGE and ALERT read it)
                "metrics": {
                    key: {"name": name, "found": [{"file": "monitoring/alerts.yaml", "rule": rule}]}
                    for key, name, rule in (
                        ("invocations", "model_invocations_total", "FraudErrorRate"),
                        ("errors", "model_errors_total", "FraudErrorRate"),
                        ("latency", "model_latency_seconds", "FraudLatency"),
                    )
                },
            },
            "io_log_sample": {"valid": True, "records": 3, "errors": []},
            "kubernetes": {"documents": 2, "wildcard_grants": []},
        },
        "ci": {
            "provider": "github",
            "run_id": "1",
            "workflow": "release",
            "trigger": "push",
            "ref": "refs/tags/v1.4.0",
            "commit": "a" * 40,
            "url": "https://ci.example/1",
        },
    }


def hollow_evidence_input() -> dict[str, Any]:
    """Every evidence key present but empty: defaults in messages must still render as JSON."""
    doc = full_evidence_input()
    for key in EVIDENCE_KEYS:
        doc[key] = [] if key == "artifacts" else {}
    doc["artifacts"] = [{"path": "x.pkl", "safety": {"status": "unsafe"}}, {"path": "y", "safety": {}}]
    doc["reports"] = {
        "metrics": {},
        "drift": {},
        "alerts": {"parsed": False},
        "io_log_sample": {},
        "kubernetes": {"wildcard_grants": [{}]},
    }
    doc["history"] = {"previous": {}, "rollback_target": {}, "chain": {}, "fallback": {}}
    doc["signoffs"] = {"approvals": [{}], "roles": {}, "policy_change": True}
    doc["dependencies"] = {"lock_mismatches": [{}], "licenses": {"denied": [{}], "review": [{}]}}
    return doc


@pytest.fixture(scope="session")
def input_builders() -> dict[str, Any]:
    return {
        "minimal": minimal_input,
        "full_evidence": full_evidence_input,
        "hollow_evidence": hollow_evidence_input,
        "full_manifest_no_evidence": lambda: {
            **full_evidence_input(),
            **{k: None for k in EVIDENCE_KEYS},
            "aigate": {
                "version": "1",
                "mode": "dry-run",
                "fast": False,
                "policy_digest": DIGEST,
                "engine": "embedded",
            },
        },
    }


@pytest.fixture(scope="session")
def default_data() -> Any:
    """A function returning a fresh copy of the built-in policy data."""
    return default_policy_data
