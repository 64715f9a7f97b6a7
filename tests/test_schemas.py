"""The shipped JSON Schemas are valid against their meta-schema (checked here, not on every run)."""

from __future__ import annotations

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
