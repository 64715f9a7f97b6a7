"""The shipped JSON Schemas are valid against their meta-schema (checked here, not on every run)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from aigate.schemas import jsonschema_module, load_schema

SCHEMAS = sorted(p.name for p in resources.files("aigate.schemas").iterdir() if p.name.endswith(".schema.json"))


def test_there_are_schemas() -> None:
    assert {"manifest.schema.json", "policy-data.schema.json"} <= set(SCHEMAS)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid(name: str) -> None:
    jsonschema = jsonschema_module()
    schema = load_schema(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)


_FORMAT_SAMPLES = {
    "duration": ["P1D", "PT1H30M", "P1X", "1D", "P", 5],
    "uri": ["https://example.com/a?b#c", "urn:isbn:0451450523", "no scheme", "http://[::1", "//x"],
    "uri-reference": ["../a/b", "https://example.com", "%zz", "a b"],
    "iri": ["https://例え.jp/パス", "https://example.com", "no scheme", "http://[::1"],
    "iri-reference": ["パス/a", "#frag", "a b", "%zz"],
    "email": ["a@example.com", "nope"],
    "date": ["2026-12-02", "2026-13-01"],
}


def test_deferred_format_libraries_judge_as_jsonschema_does() -> None:
    """aigate defers jsonschema's format libraries (rfc3987_syntax, isoduration, rfc3986_validator)
    until a check uses them; a format that is used must still be judged exactly as stock
    jsonschema judges it. Stock jsonschema runs in a separate interpreter as the reference."""
    import subprocess
    import sys

    script = (
        "import json, sys, jsonschema\n"
        "fc = jsonschema.Draft202012Validator.FORMAT_CHECKER\n"
        "samples = json.loads(sys.stdin.read())\n"
        "print(json.dumps({f: [fc.conforms(v, f) for v in vs] for f, vs in samples.items()}))\n"
    )
    ref = subprocess.run(
        [sys.executable, "-c", script], input=json.dumps(_FORMAT_SAMPLES), capture_output=True, text=True, check=True
    )
    expected = json.loads(ref.stdout)
    ours = subprocess.run(
        [sys.executable, "-c", "from aigate.schemas import jsonschema_module; jsonschema_module()\n" + script],
        input=json.dumps(_FORMAT_SAMPLES),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(ours.stdout) == expected
    assert {f: v.count(False) for f, v in expected.items()} == {
        "duration": 3, "uri": 3, "uri-reference": 2, "iri": 2, "iri-reference": 2, "email": 1, "date": 1,
    }  # fmt: skip
