"""The example projects: valid against the schemas, and they pass or fail for the stated reasons.

The policy input is built here the way a dry run on a laptop collects it (files, evaluation
metrics, drift report, parsed alert rules, the I/O log sample checked against its schema; no
SBOM, sign-offs or history), then the built-in library is evaluated over it and the maturity rule
of DESIGN.md is applied: a stream reaches level N when no control of that stream at levels 1..N
denies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCHEMAS = ROOT / "aigate" / "schemas"
PASSING = EXAMPLES / "fraud-detector"
FAILING = EXAMPLES / "fraud-detector-failing"

LEVELS = {
    "A": [["env", "dep", "track"], ["approval", "rollback", "audit"], ["comply", "automate", "auditready"]],
    "B": [["mon", "iolog", "usage"], ["rbac", "accesslog", "encrypt"], ["resilience", "drift", "alert"]],
}


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            deep_merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def referenced_paths(manifest: dict[str, Any]) -> list[str]:
    m = manifest
    paths = [a["path"] for a in m["model"]["artifacts"]]
    paths += [m["model"].get(k) for k in ("card", "changelog")]
    paths += m.get("serving", {}).get("runtime_files", [])
    paths += list(m.get("dependencies", {}).values())
    paths += m.get("access", {}).get("kubernetes_manifests", [])
    mon = m.get("monitoring", {})
    paths += [mon.get("io_logging", {}).get(k) for k in ("schema", "sample")]
    paths += [mon.get("drift", {}).get("report"), mon.get("alerts", {}).get("rules")]
    paths += mon.get("dashboards", [])
    paths += [
        m.get("resilience", {}).get("runbook"),
        m.get("resilience", {}).get("kill_switch", {}).get("runbook"),
        m.get("resilience", {}).get("fallback", {}).get("bundle"),
    ]
    paths += [m.get("rollback", {}).get(k) for k in ("runbook", "bundle")]
    paths += list(m.get("compliance", {}).get("documents", {}).values())
    paths += [m.get("evaluation", {}).get("metrics")]
    return sorted({p for p in paths if isinstance(p, str)})


def runbook(project: Path, value: str | None) -> dict[str, Any]:
    """The examples name their runbooks by project-relative path (ALERT's evidence shape)."""
    if value is None:
        return {"type": "none"}
    return {"type": "path", "value": value, "path": value, "exists": (project / value).is_file()}


def dry_run_input(project: Path) -> dict[str, Any]:
    manifest = load_yaml(project / "aigate.yaml")
    files = {}
    for rel in referenced_paths(manifest):
        p = project / rel
        files[rel] = {
            "exists": p.exists(),
            "kind": "dir" if p.is_dir() else "file" if p.exists() else "missing",
            "sha256": None,
            "size": p.stat().st_size if p.is_file() else None,
            "mtime_epoch": int(p.stat().st_mtime) if p.exists() else None,
        }
    mon = manifest["monitoring"]
    sample_schema = json.loads((project / mon["io_logging"]["schema"]).read_text(encoding="utf-8"))
    check = jsonschema.Draft202012Validator(sample_schema)
    errors = []
    records = 0
    for n, line in enumerate((project / mon["io_logging"]["sample"]).read_text().splitlines(), 1):
        if line.strip():
            records += 1
            errors += [{"line": n, "message": e.message} for e in check.iter_errors(json.loads(line))]
    rules = load_yaml(project / mon["alerts"]["rules"])
    return {
        "aigate": {
            "version": "1",
            "mode": "dry-run",
            "fast": False,
            "policy_digest": None,
            "engine": "embedded",
        },
        "manifest": manifest,
        "files": files,
        **{
            k: None for k in ("environment", "dependencies", "sbom", "artifacts", "signoffs", "history", "ci")
        },
        "git": None,
        "reports": {
            "metrics": json.loads((project / manifest["evaluation"]["metrics"]).read_text()),
            "drift": json.loads((project / mon["drift"]["report"]).read_text()),
            "alerts": {
                "groups": len(rules["groups"]),
                "parsed": True,
                "promtool": "absent",
                "rules": [
                    {
                        "name": r["alert"],
                        "expr": r["expr"],
                        "labels": r.get("labels", {}),
                        "runbook": runbook(project, r.get("annotations", {}).get("runbook_url")),
                    }
                    for g in rules["groups"]
                    for r in g["rules"]
                ],
                "metrics": used_metrics(manifest, rules, project),
            },
            "io_log_sample": {"valid": not errors, "records": records, "errors": errors},
        },
    }


def used_metrics(manifest: dict[str, Any], rules: dict[str, Any], project: Path) -> dict[str, Any]:
    """Where each declared usage metric appears, read here with a plain regular expression (a
    whole name, or a histogram's ``_bucket``/``_sum``/``_count`` series): alert rule exprs and the
    declared Grafana dashboards' panel queries."""
    import re

    exprs = [("monitoring/alerts.yaml", r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
    for board in manifest["monitoring"].get("dashboards", []):
        doc = json.loads((project / board).read_text())
        stack = list(doc.get("panels", []))
        while stack:
            panel = stack.pop()
            stack.extend(panel.get("panels", []))
            exprs += [(board, panel.get("title", ""), t["expr"]) for t in panel.get("targets", []) if "expr" in t]
    out = {}
    for key, name in manifest["monitoring"]["metrics"].items():
        if key == "dashboard":
            continue
        word = re.compile(rf"(?<![\w:]){re.escape(name)}(?:_bucket|_sum|_count)?(?![\w:])")
        found = [{"file": f, "rule": where} for f, where, expr in exprs if word.search(expr)]
        out[key] = {"name": name, "found": found}
    return out


def maturity(result: dict[str, Any]) -> dict[str, int]:
    out = {}
    for stream, levels in LEVELS.items():
        reached = 0
        for controls in levels:
            if any(result[c].get("deny") for c in controls):
                break
            reached += 1
        out[stream] = reached
    return out


@pytest.fixture(scope="module")
def default_config() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(ROOT / "aigate" / "data" / "default-policy-data.yaml")
    return data


@pytest.mark.parametrize("project", [PASSING, FAILING], ids=lambda p: p.name)
def test_example_validates_against_schemas(project: Path, default_config: dict[str, Any]) -> None:
    manifest_errors = [
        e.message for e in validator("manifest.schema.json").iter_errors(load_yaml(project / "aigate.yaml"))
    ]
    assert manifest_errors == []
    data = load_yaml(project / "policy-data.yaml")
    check = validator("policy-data.schema.json")
    assert [e.message for e in check.iter_errors(data)] == []
    assert [e.message for e in check.iter_errors(deep_merge(default_config, data))] == []


def test_default_policy_data_validates(default_config: dict[str, Any]) -> None:
    assert [e.message for e in validator("policy-data.schema.json").iter_errors(default_config)] == []


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"apiVersion": "aigate.dev/v1", "kind": "ModelDeployment", "metadata": {"name": "x"}}, "model"),
        ({"kind": "ModelDeployment"}, "apiVersion"),
    ],
)
def test_manifest_schema_requires_core_fields(document: dict[str, Any], pointer: str) -> None:
    messages = [e.message for e in validator("manifest.schema.json").iter_errors(document)]
    assert any(pointer in m for m in messages), messages


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"serving": {"image": "reg/x@sha256:abc"}}, "does not match"),  # malformed digest
        ({"model": {"verison": "1"}}, "Additional properties"),  # a typo is caught
        ({"model": {"version": 1.0}}, "is not of type 'string'"),  # unquoted YAML version
        ({"monitoring": {"io_logging": {"retention_days": -1}}}, "less than the minimum"),
        ({"serving": {"endpoint": {"auth": "basic"}}}, "is not one of"),
    ],
)
def test_manifest_schema_rejects(patch: dict[str, Any], expected: str) -> None:
    manifest = deep_merge(load_yaml(PASSING / "aigate.yaml"), patch)
    messages = [e.message for e in validator("manifest.schema.json").iter_errors(manifest)]
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"waivers": [{"control": "ENV", "reason": "r", "owner": "o", "expires": "next week"}]},
            "does not match",
        ),
        ({"required_levels": {"A": 4}}, "greater than the maximum"),
        ({"thresholds": {"io_log_retention": 10}}, "Additional properties"),
        ({"licenses": {"unknown": "allow"}}, "is not one of"),
    ],
)
def test_policy_data_schema_rejects(data: dict[str, Any], expected: str) -> None:
    messages = [e.message for e in validator("policy-data.schema.json").iter_errors(data)]
    assert any(expected in m for m in messages), messages


def _evaluate_example(project: Path, default_config: dict[str, Any], evaluate: Any) -> dict[str, Any]:
    config = deep_merge(default_config, load_yaml(project / "policy-data.yaml"))
    result: dict[str, Any] = evaluate(dry_run_input(project), config)
    return result


def test_passing_example_meets_its_required_levels(default_config: dict[str, Any], evaluate: Any) -> None:
    result = _evaluate_example(PASSING, default_config, evaluate)
    required = load_yaml(PASSING / "policy-data.yaml")["required_levels"]
    reached = maturity(result)
    assert reached["A"] >= required["A"] and reached["B"] >= required["B"], reached
    assert reached == {"A": 1, "B": 3}
    assert not result["modelsafe"].get("deny") and not result["license"].get("deny")
    # declared-only passes and non-blocking warnings are part of what the example shows
    declared_passes = {c for c, v in result.items() if v["basis"] == "declared" and not v.get("deny")}
    assert {"env", "dep", "track", "accesslog", "encrypt"} <= declared_passes
    warnings = {(c, f["rule"]) for c, v in result.items() for f in v.get("warn", [])}
    assert ("dep", "no-dependency-file") in warnings
    assert ("rollback", "no-target-bundle") in warnings
    # level-2 process controls deny (advisory at A=1): nothing signed or recorded in a dry run
    assert result["approval"]["deny"][0]["rule"] == "signoffs-not-verified"


def test_failing_example_fails_with_what_to_fix(default_config: dict[str, Any], evaluate: Any) -> None:
    result = _evaluate_example(FAILING, default_config, evaluate)
    assert maturity(result) == {"A": 0, "B": 0}
    denies: dict[tuple[str, str], str] = {}
    for control, value in result.items():
        for f in value.get("deny", []):
            denies[(control, f["rule"])] = denies.get((control, f["rule"]), "") + f["msg"] + "\n"
    expected = {
        ("env", "image-not-pinned"): "registry.example.com/ml/fraud-detector:latest is not pinned by digest",
        ("iolog", "retention-too-short"): "I/O log retention is 30 days; policy requires at least 180",
        ("mon", "metric-below-minimum"): "metric auc is 0.88; policy requires at least 0.9",
        ("rbac", "public-anonymous-endpoint"): "the endpoint is public and accepts anonymous calls",
        ("rollback", "no-rollback-target"): "no rollback plan",
    }
    for key, text in expected.items():
        assert key in denies, sorted(denies)
        assert text in denies[key]


def test_committed_model_matches_make_model_script() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "make_model.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_model_file_is_valid_safetensors() -> None:
    """Parse the header per the safetensors format and check every tensor's byte range."""
    raw = (PASSING / "model" / "model.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, stop = info["data_offsets"]
        count = 1
        for dim in info["shape"]:
            count *= dim
        assert info["dtype"] == "F32" and stop - start == 4 * count
        end = max(end, stop)
    assert end == len(data)
    assert 1024 < len(raw) < 16 * 1024
