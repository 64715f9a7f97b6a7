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
    "hostname": ["example.com", "-bad-.com", "a" * 64 + ".com", ""],
    "idn-hostname": ["例え.jp", "xn--a.com", "a..b", "\u0300a.com"],
    "date-time": ["2026-12-02T10:00:00Z", "2026-12-02t10:00:00+01:00", "2026-12-02 10:00", "2026-12-02T25:00:00Z"],
    "time": ["10:00:00Z", "25:00:00Z"],
    "json-pointer": ["/a/b", "", "a/b", "/~2"],
    "relative-json-pointer": ["0/a", "1#", "01/a", "x"],
    "uri-template": ["https://x/{id}", "https://x/{id", "{+path}/here"],
}


def test_deferred_format_libraries_judge_as_jsonschema_does() -> None:
    """aigate defers jsonschema's format libraries (rfc3987_syntax, isoduration, rfc3986_validator,
    fqdn, idna, rfc3339_validator, webcolors, jsonpointer, uri_template) until a check uses them; a format that is used must still be judged exactly as stock
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
        "hostname": 3, "idn-hostname": 3, "date-time": 2, "time": 1, "json-pointer": 2,
        "relative-json-pointer": 2, "uri-template": 1,
    }  # fmt: skip


def test_format_libraries_are_not_loaded_until_used() -> None:
    """The deferral is real: after importing jsonschema through aigate none of the libraries is
    loaded, and a check of its format loads exactly that one."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from aigate.schemas import _DEFERRED, jsonschema_module\n"
        "js = jsonschema_module()\n"
        "real = lambda: sorted(n for n in _DEFERRED if getattr(sys.modules.get(n), '_real', 1) is not None)\n"
        "print(real())\n"
        "js.Draft202012Validator.FORMAT_CHECKER.conforms('2026-12-02T10:00:00Z', 'date-time')\n"
        "print(real())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['rfc3339_validator']"]
