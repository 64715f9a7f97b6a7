"""The reports collector: alert rules, I/O log sample validation, Kubernetes RBAC grants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigate.collect.reports import alert_rules, io_log_sample, kubernetes_grants
from aigate.errors import InputError

SCHEMA = {
    "type": "object",
    "required": ["ts", "input_hash", "latency_ms"],
    "properties": {"ts": {"type": "string"}, "input_hash": {"type": "string"}, "latency_ms": {"type": "number"}},
}


def test_io_log_sample_valid_and_invalid_records(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "sample.jsonl").write_text(
        '{"ts": "2026-11-01T00:00:00Z", "input_hash": "ab", "latency_ms": 12}\n'
        "\n"
        '{"ts": "2026-11-01T00:00:01Z", "latency_ms": "slow"}\n'
        "not json\n"
    )
    report = io_log_sample(tmp_path, "sample.jsonl", "schema.json")
    assert report is not None
    assert report["records"] == 3 and report["valid"] is False
    messages = {(e["line"], e["message"]) for e in report["errors"]}
    assert (3, "/: 'input_hash' is a required property") in messages
    assert (3, "/latency_ms: 'slow' is not of type 'number'") in messages
    assert any(line == 4 and msg.startswith("not JSON") for line, msg in messages)


def test_io_log_sample_all_valid(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "sample.jsonl").write_text('{"ts": "t", "input_hash": "h", "latency_ms": 1.5}\n')
    report = io_log_sample(tmp_path, "sample.jsonl", "schema.json")
    validation = {k: report[k] for k in ("file", "schema", "records", "valid", "errors", "error_count")}
    assert validation == {"file": "sample.jsonl", "schema": "schema.json", "records": 1, "valid": True,
                          "errors": [], "error_count": 0}
    # valid against its schema, yet "t" is no RFC 3339 timestamp (the IOLOG facts, tests/ops/test_iolog_sample.py)
    assert report["bad_timestamps"] == {"count": 1, "lines": [{"line": 1, "key": "ts", "value": "t"}]}


def test_io_log_sample_with_a_broken_schema_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"type": "no-such-type"}')
    (tmp_path / "sample.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="not a valid JSON Schema"):
        io_log_sample(tmp_path, "sample.jsonl", "schema.json")


def test_kubernetes_wildcards_and_anonymous_bindings(tmp_path: Path) -> None:
    (tmp_path / "rbac.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: scorer}\n"
        "rules:\n  - apiGroups: ['']\n    resources: [pods]\n    verbs: [get]\n"
        "  - apiGroups: ['*']\n    resources: ['*']\n    verbs: [get]\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: open}\n"
        "roleRef: {kind: ClusterRole, name: view}\nsubjects:\n  - {kind: Group, name: 'system:unauthenticated'}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: scorer}\n"
    )
    report = kubernetes_grants(tmp_path, ["rbac.yaml"])
    assert report["documents"] == 3
    details = [(g["kind"], g["name"], g["detail"]) for g in report["wildcard_grants"]]
    assert details == [
        ("Role", "scorer", "rules[1] resources, apiGroups: *"),
        ("ClusterRoleBinding", "open", "binds system:unauthenticated to view"),
    ]


def test_alert_rules_parse_and_failure_is_data(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(
        "groups:\n  - name: model\n    rules:\n      - alert: HighErrorRate\n        expr: rate(errors[5m]) > 0.05\n"
    )
    ok = alert_rules(tmp_path, "ok.yaml")
    assert ok["parsed"] is True and [r["name"] for r in ok["rules"]] == ["HighErrorRate"]
    (tmp_path / "bad.yaml").write_text("groups: [unclosed\n")
    bad = alert_rules(tmp_path, "bad.yaml")
    assert bad["parsed"] is False and "bad.yaml:2:1: not valid YAML" in bad["error"]
