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


class _Deferred(types.ModuleType):
    """Stands in for a module that jsonschema's format checks import, until a check uses it.

    Importing jsonschema imports every installed format library at once: rfc3987_syntax
    compiles ~40 lark grammars (≈1.2 s here) for ``iri``/``iri-reference``, isoduration pulls
    in arrow for ``duration``, rfc3986_validator compiles its grammar for ``uri``, and six more
    (hostname, date-time, color, json-pointer, uri-template) add ~10 ms. aigate's own schemas
    use none of those formats (a user's IOLOG schema may), so each is replaced by this shim: the functions and
    exception classes jsonschema takes from it at import time exist, and the first call loads
    the real module (so a schema that does use the format is checked exactly as before; the
    real exception is re-raised as the shim's class, which is the one jsonschema catches).
    """

    def __init__(self, name: str, functions: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self._real: Any = None
        for exc in exceptions:
            setattr(self, exc, type(exc, (ValueError,), {"__module__": name}))
        for fn in functions:
            setattr(self, fn, self._deferred(fn, exceptions))

    def _load(self) -> Any:
        if self._real is None:
            del sys.modules[self.__name__]
            try:
                self._real = importlib.import_module(self.__name__)
            finally:
                sys.modules[self.__name__] = self
        return self._real

    def _deferred(self, fn: str, exceptions: tuple[str, ...]) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            real = self._load()
            caught = tuple(getattr(real, e) for e in exceptions)
            try:
                return getattr(real, fn)(*args, **kwargs)
            except caught as exc:
                raise getattr(self, type(exc).__name__, self.__dict__[exceptions[0]])(str(exc)) from exc

        call.__name__ = fn
        return call

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # import machinery probes (__path__, __spec__...) stay cheap
            raise AttributeError(name)
        return getattr(self._load(), name)


#: module -> (functions, exception classes) that jsonschema's ``_format`` takes at import time
#: (classes jsonschema only calls, like ``FQDN(...)``, are deferred as functions that return one)
_DEFERRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rfc3987_syntax": (("is_valid_syntax",), ()),
    "isoduration": (("parse_duration",), ("DurationParsingException",)),
    "rfc3986_validator": (("validate_rfc3986",), ()),
    # the rest cost ~10 ms together on every run; aigate's schemas use only `date` and `email`
    "fqdn": (("FQDN",), ()),
    "idna": (("encode",), ("IDNAError",)),
    "rfc3339_validator": (("validate_rfc3339",), ()),
    "webcolors": (("name_to_hex", "normalize_hex"), ()),
    "jsonpointer": (("JsonPointer",), ("JsonPointerException",)),
    "uri_template": (("validate",), ()),
}


def jsonschema_module() -> Any:
    """Import jsonschema without the import-time cost of its format libraries (``_Deferred``)."""
    if "jsonschema" not in sys.modules:
        for name, (functions, exceptions) in _DEFERRED.items():
            if name not in sys.modules and importlib.util.find_spec(name) is not None:
                sys.modules[name] = _Deferred(name, functions, exceptions)
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
