"""JSON Schemas shipped with aigate, and a cached, position-aware validator for them."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from aigate.errors import InputError
from aigate.yamlload import Document, pointer_of


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("aigate.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_document(doc: Document, schema_name: str, what: str) -> None:
    """Validate ``doc`` against a shipped schema; raise one InputError at the best error's position.

    The message names the JSON pointer and, when several errors exist, how many more there are,
    so the user fixes the most relevant one first (``jsonschema.exceptions.best_match``).
    """
    import jsonschema

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
