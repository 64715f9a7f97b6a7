"""IOLOG through the real CLI on committed copies of the example: the sample I/O log validates
against the declared schema, the schema *requires* a request id, a timestamp and the model
version, every record carries them (RFC 3339 timestamps, this release's version), redaction is
visible, no unredacted personal data; retention at least the policy minimum.

Each failing variant changes one thing in the example's real files; where the schema alone would
let the record through, the test shows that with ``jsonschema`` directly (the independent side).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from aigate_cli import aigate, check_json, committed_copy, git

from aigate.ops.iolog import is_rfc3339, luhn, pii_kinds

pytestmark = pytest.mark.slow  # real `aigate check` runs

Records = list[dict[str, Any]]


def _variant(
    tmp_path: Path,
    *,
    records: Callable[[Records], None] | None = None,
    schema: Callable[[dict[str, Any]], Any] | None = None,
    manifest: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    project = committed_copy("fraud-detector", tmp_path)
    sample = project / "logs" / "sample.jsonl"
    if records is not None:
        rows = [json.loads(line) for line in sample.read_text().splitlines()]
        records(rows)
        sample.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if schema is not None:
        path = project / "logs" / "schema.json"
        doc = json.loads(path.read_text())
        path.write_text(json.dumps(schema(doc) or doc, indent=2) + "\n")
    if manifest is not None:
        path = project / "aigate.yaml"
        doc = yaml.safe_load(path.read_text())
        manifest(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "variant")
    return project


def _iolog(project: Path, *extra: str) -> list[dict[str, Any]]:
    _, doc = check_json(project, *extra, data=project / "policy-data.yaml")
    return [f for f in doc["findings"] if f["control"] == "IOLOG"]


def _denies(findings: list[dict[str, Any]]) -> set[str]:
    return {f["rule"] for f in findings if f["severity"] == "deny"}


def _schema_accepts(project: Path) -> bool:
    schema = json.loads((project / "logs" / "schema.json").read_text())
    rows = [json.loads(line) for line in (project / "logs" / "sample.jsonl").read_text().splitlines()]
    return all(jsonschema.Draft202012Validator(schema).is_valid(r) for r in rows)


def test_example_sample_passes_on_evidence(tmp_path):
    findings = _iolog(committed_copy("fraud-detector", tmp_path))
    assert [(f["severity"], f["basis"]) for f in findings] == [("pass", "evidence")], findings


def test_schema_that_does_not_require_a_request_id_is_denied(tmp_path):
    def drop(doc: dict[str, Any]) -> None:
        doc["required"].remove("request_id")

    project = _variant(tmp_path, schema=drop)
    findings = _iolog(project)
    assert _denies(findings) == {"schema-does-not-require-field"}, findings
    assert "request_id" in next(f["message"] for f in findings if f["severity"] == "deny")


def test_schema_requiring_nothing_is_denied_for_every_field(tmp_path):
    project = _variant(tmp_path, schema=lambda doc: {"$schema": doc["$schema"]})
    assert _schema_accepts(project)  # the sample "validates": the schema alone proves nothing
    denies = [f for f in _iolog(project) if f["severity"] == "deny"]
    assert {f["rule"] for f in denies} == {"schema-does-not-require-field"}, denies
    assert len(denies) == 3  # request id, timestamp, model version


def test_required_fields_found_through_a_local_ref(tmp_path):
    def wrap(doc: dict[str, Any]) -> dict[str, Any]:
        record = {k: v for k, v in doc.items() if k != "$schema"}
        return {"$schema": doc["$schema"], "$defs": {"record": record}, "$ref": "#/$defs/record"}

    findings = _iolog(_variant(tmp_path, schema=wrap))
    assert not _denies(findings), findings


def test_schema_ref_that_cannot_be_resolved_is_an_input_error(tmp_path):
    """A $ref to nothing is a broken schema (exit 2 naming it), never a sample that "validates"."""

    def dangling(doc: dict[str, Any]) -> dict[str, Any]:
        return {"$schema": doc["$schema"], "$ref": "#/$defs/record"}

    project = _variant(tmp_path, schema=dangling)
    run = aigate("check", "--dry-run", "-C", str(project), "--data", str(project / "policy-data.yaml"))
    assert run.returncode == 2, run
    assert "logs/schema.json" in run.stderr and "cannot be resolved" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_record_missing_its_request_id_is_denied(tmp_path):
    def drop(rows: Records) -> None:
        del rows[1]["request_id"]

    def relax(doc: dict[str, Any]) -> None:
        doc["required"].remove("request_id")
        doc["required"].append("trace_id")  # required, but by another accepted name
        doc["properties"]["trace_id"] = {"type": "string"}

    project = _variant(tmp_path, records=drop, schema=relax)
    findings = _iolog(project)
    # the schema requires trace_id, so record 2 is also invalid; record 1 and 3 lack trace_id too
    assert "record-missing-field" in _denies(findings), findings
    msg = next(f["message"] for f in findings if f["rule"] == "record-missing-field")
    assert "1 record(s)" in msg and "line(s) 2" in msg


def test_timestamp_that_is_not_rfc3339_is_denied(tmp_path):
    def bad(rows: Records) -> None:
        rows[2]["ts"] = "20/11/2026 09:14:07"

    def no_format(doc: dict[str, Any]) -> None:
        del doc["properties"]["ts"]["format"]  # the schema alone now accepts any string

    project = _variant(tmp_path, records=bad, schema=no_format)
    assert _schema_accepts(project)
    findings = _iolog(project)
    assert _denies(findings) == {"bad-timestamp"}, findings
    assert "line 3: ts = 20/11/2026 09:14:07" in next(
        f["message"] for f in findings if f["severity"] == "deny"
    )


def test_sample_from_another_model_version_warns_and_blocks_when_required(tmp_path):
    """A release is gated before it serves traffic, so a sample logged by the version in production
    is the normal case: it warns. An organisation that requires a sample per release (policy data
    io_logging.require_release_sample) makes it block."""

    def stale(rows: Records) -> None:
        for r in rows:
            r["model_version"] = "1.3.2"

    project = _variant(tmp_path, records=stale)
    assert _schema_accepts(project)
    findings = _iolog(project)
    assert not _denies(findings), findings
    msg = next(f["message"] for f in findings if f["rule"] == "sample-other-model-version")
    assert "3 record(s)" in msg and "1.3.2" in msg and "1.4.0" in msg
    strict = tmp_path / "strict.yaml"
    strict.write_text("io_logging:\n  require_release_sample: true\n")
    assert _denies(_iolog(project, "--data", str(strict))) == {"sample-other-model-version"}


def test_sample_without_any_redaction_marker_is_denied(tmp_path):
    def unmarked(rows: Records) -> None:
        for r in rows:
            del r["input"]["card_token"]

    project = _variant(tmp_path, records=unmarked)
    assert _schema_accepts(project)
    assert _denies(_iolog(project)) == {"no-redaction-marker"}


def test_redaction_field_counts_as_shown(tmp_path):
    def field(rows: Records) -> None:
        for r in rows:
            del r["input"]["card_token"]
        rows[0]["redactions"] = ["input.card_number"]

    def allow(doc: dict[str, Any]) -> None:
        doc["properties"]["redactions"] = {"type": "array", "items": {"type": "string"}}

    assert not _denies(_iolog(_variant(tmp_path, records=field, schema=allow)))


def test_unredacted_email_in_a_record_is_denied(tmp_path):
    def leak(rows: Records) -> None:
        rows[1]["caller"] = "jane.doe@example.com"

    project = _variant(tmp_path, records=leak)
    assert _schema_accepts(project)
    findings = _iolog(project)
    assert _denies(findings) == {"sample-unredacted"}, findings
    msg = next(f["message"] for f in findings if f["severity"] == "deny")
    assert "email (line 2)" in msg and "jane.doe" not in msg  # the value is never repeated


def test_retention_below_the_policy_minimum_is_denied(tmp_path):
    def short(doc: dict[str, Any]) -> None:
        doc["monitoring"]["io_logging"]["retention_days"] = 179

    findings = _iolog(_variant(tmp_path, manifest=short))
    assert _denies(findings) == {"retention-too-short"}, findings
    assert "is 179 days; policy requires at least 180" in findings[0]["message"] or any(
        "is 179 days; policy requires at least 180" in f["message"] for f in findings
    )


def test_unknown_schema_draft_is_an_input_error(tmp_path):
    def unknown(doc: dict[str, Any]) -> None:
        doc["$schema"] = "https://example.com/my-draft"

    project = _variant(tmp_path, schema=unknown)
    run = aigate("check", "--dry-run", "-C", str(project))
    assert run.returncode == 2 and "logs/schema.json" in run.stderr and "$schema" in run.stderr, run


def test_sample_larger_than_the_policy_limit_is_an_input_error(tmp_path):
    project = _variant(tmp_path, records=lambda rows: rows.extend(rows * 3))  # 12 records, ~3.7 kB
    assert (project / "logs" / "sample.jsonl").stat().st_size > 2048
    limits = tmp_path / "limits.yaml"
    limits.write_text("apiVersion: aigate.dev/v1\nkind: PolicyData\nlimits:\n  io_log_sample: 2048\n")
    run = aigate("check", "--dry-run", "-C", str(project), "--data", str(limits))
    assert run.returncode == 2 and "logs/sample.jsonl" in run.stderr, run


# --- the value checks against published references --------------------------------------------

# RFC 3339 section 5.8 examples, and date-times it does not allow
RFC3339_VALID = [
    "1985-04-12T23:20:50.52Z",
    "1996-12-19T16:39:57-08:00",
    "1990-12-31T23:59:60Z",
    "1990-12-31T15:59:60-08:00",
    "1937-01-01T12:00:27.87+00:20",
    "2026-11-20t09:14:03z",
]
RFC3339_INVALID = [
    "2026-11-20T09:14:03",  # no offset
    "2026-11-20",
    "2026-02-30T00:00:00Z",
    "2026-11-20T24:00:00Z",
    "2026-11-20T09:14:60Z",  # a leap second only at the end of a minute 59
    "20/11/2026 09:14:07",
    1_763_630_043,
    None,
]


@pytest.mark.parametrize("value", RFC3339_VALID)
def test_rfc3339_examples_of_the_rfc_parse(value):
    assert is_rfc3339(value)


@pytest.mark.parametrize("value", RFC3339_INVALID)
def test_not_rfc3339(value):
    assert not is_rfc3339(value)


def test_card_numbers_by_luhn_against_published_test_numbers():
    # the card networks' published test numbers (Visa, Mastercard, Amex) pass; one digit off fails
    for number in ("4111111111111111", "5555555555554444", "378282246310005"):
        assert luhn(number) and pii_kinds(f"card {number[:4]} {number[4:]}", ["card-number"]) == [
            "card-number"
        ]
    assert not luhn("4111111111111112")
    assert pii_kinds("request 4111111111111112", ["card-number"]) == []
    assert pii_kinds("5b0e3c1f9a7d4e2b8c6a1f0e3d5b7c9a", ["email", "card-number", "secret"]) == []
