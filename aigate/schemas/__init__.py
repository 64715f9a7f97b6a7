"""JSON Schemas shipped with aigate, and a cached, position-aware validator for them."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
import types
from importlib import resources
from typing import Any

from aigate.errors import InputError
from aigate.yamlload import Document, pointer_of


class _LazySyntax(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until an IRI is actually validated.

    Importing jsonschema imports rfc3987_syntax, which compiles ~40 lark grammars (≈1.2 s here)
    at import time, for the ``iri``/``iri-reference`` format checks only. This shim keeps those
    checks (and their strictness) but loads the real module on first use, so validating a
    manifest does not pay for a grammar it never uses.
    """

    def __init__(self) -> None:
        super().__init__("rfc3987_syntax")
        self._real: Any = None

    def _load(self) -> Any:
        if self._real is None:
            del sys.modules["rfc3987_syntax"]
            try:
                self._real = importlib.import_module("rfc3987_syntax")
            finally:
                sys.modules["rfc3987_syntax"] = self
        return self._real

    def is_valid_syntax(self, rule: str, value: str) -> bool:
        return bool(self._load().is_valid_syntax(rule, value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # import machinery probes (__path__, __spec__...) stay cheap
            raise AttributeError(name)
        return getattr(self._load(), name)


def jsonschema_module() -> Any:
    """Import jsonschema without the import-time cost of rfc3987_syntax (see ``_LazySyntax``)."""
    if (
        "jsonschema" not in sys.modules
        and "rfc3987_syntax" not in sys.modules
        and importlib.util.find_spec("rfc3987_syntax") is not None
    ):
        sys.modules["rfc3987_syntax"] = _LazySyntax()
    import jsonschema

    return jsonschema


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("aigate.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(name: str) -> Any:
    jsonschema = jsonschema_module()

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    # the shipped schemas are checked against their meta-schema by the test suite
    # (tests/test_schemas.py), not on every run: check_schema costs more than validating
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_document(doc: Document, schema_name: str, what: str) -> None:
    """Validate ``doc`` against a shipped schema; raise one InputError at the best error's position.

    The message names the JSON pointer and, when several errors exist, how many more there are,
    so the user fixes the most relevant one first (``jsonschema.exceptions.best_match``).
    """
    jsonschema = jsonschema_module()
    validator = _validator(schema_name)
    errors = list(validator.iter_errors(doc.data))
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    pointer = pointer_of(list(best.absolute_path))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    message = best.message
    if len(message) > 200:
        message = message[:197] + "..."
    raise InputError(
        f"invalid {what}: {pointer or '/'}: {message}{more}",
        position=doc.position(pointer),
    )
