"""The sample I/O log as evidence (IOLOG): schema validation plus what every record must show.

``analyse_sample`` reads a JSON Lines sample (bounded) and reports facts, never a verdict:

- each record validated against the declared JSON Schema, with the draft its ``$schema`` names
  (an unknown ``$schema`` is an input error; none: 2020-12);
- which names the schema *requires* at top level (its ``required``, following local ``$ref``
  and ``allOf``), so a schema that requires nothing (``{}``) is visible as such;
- per role of ``io_logging.required_fields`` (request id, timestamp, model version, ...): the
  lines whose record carries none of the accepted top-level keys (or only an empty value);
- timestamps that are not RFC 3339 date-times, model versions other than the release's;
- redaction shown: records carrying a marker (``io_logging.redaction_markers``) or a redaction
  field (``io_logging.redaction_fields``: true, non-empty, or a positive count);
- unredacted values: e-mail addresses, Luhn-valid card numbers, secret-shaped tokens
  (:func:`aigate.redact.secret_kinds`), as kind and line, never the value.

Lists are bounded (``MAX_LISTED`` lines each); counts are exact.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aigate.errors import InputError, Position
from aigate.redact import secret_kinds

MAX_LISTED = 5
MAX_SCHEMA_ERRORS = 20
MAX_REF_DEPTH = 16

#: RFC 3339 section 5.6 ``date-time`` (T/Z case-insensitive; a space for T per its note)
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")

DEFAULT_FIELDS: dict[str, list[str]] = {
    "request_id": ["request_id", "requestId", "trace_id", "traceId", "correlation_id"],
    "timestamp": ["timestamp", "ts", "time", "@timestamp"],
    "model_version": ["model_version", "modelVersion"],
}
DEFAULT_MARKERS = [r"\[REDACTED(:[^\]]*)?\]", r"<redacted(:[^>]*)?>", r"\*{3,}"]
DEFAULT_REDACTION_FIELDS = ["redacted", "redactions"]
DEFAULT_PII = ["email", "card-number", "secret"]


def is_rfc3339(value: Any) -> bool:
    """True for an RFC 3339 ``date-time`` string naming a real instant (leap second 60 allowed)."""
    if not isinstance(value, str):
        return False
    m = _RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    offset = m.group(8)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60 and (second < 60 or minute == 59)


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def pii_kinds(text: str, enabled: list[str]) -> list[str]:
    """Kinds of unredacted personal data or secrets in ``text``."""
    found = []
    if "email" in enabled and "@" in text and _EMAIL.search(text):
        found.append("email")
    if "card-number" in enabled:
        for m in _CARD.finditer(text):
            digits = re.sub(r"[ -]", "", m.group(0))
            if 13 <= len(digits) <= 19 and luhn(digits):
                found.append("card-number")
                break
    if "secret" in enabled and secret_kinds(text):
        found.append("secret")
    return found


def _strings(node: Any, depth: int = 0) -> list[str]:
    """Every string value and key of a record, and integers long enough to be card numbers."""
    if depth > 64:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, bool):
        return []
    if isinstance(node, int):
        return [str(node)] if abs(node) >= 10**12 else []
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            out.append(str(k))
            out.extend(_strings(v, depth + 1))
        return out
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, depth + 1)]
    return []


def _resolve_local(schema: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return None  # remote: not followed (and the validator does not fetch it either)
    node = schema
    for part in ref[1:].lstrip("/").split("/") if ref not in ("#", "#/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def schema_required(schema: Any) -> list[str]:
    """Names the schema requires of a record at top level: ``required`` of the root, of what a
    local ``$ref`` points to, and of ``allOf`` members (recursively, bounded)."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: Any, depth: int) -> None:
        if not isinstance(node, dict) or depth > MAX_REF_DEPTH or id(node) in seen:
            return
        seen.add(id(node))
        for name in node.get("required") or []:
            if isinstance(name, str) and name not in found:
                found.append(name)
        ref = node.get("$ref")
        if isinstance(ref, str):
            walk(_resolve_local(schema, ref), depth + 1)
        for sub in node.get("allOf") or []:
            walk(sub, depth + 1)

    walk(schema, 0)
    return found


def _validator(schema: Any, schema_rel: str) -> Any:
    from aigate.schemas import jsonschema_module

    jsonschema = jsonschema_module()
    if not isinstance(schema, (dict, bool)):
        raise InputError("not a JSON Schema (an object or a boolean)", position=Position(schema_rel))
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    if isinstance(declared, str):
        known = {str(getattr(v, "META_SCHEMA", {}).get("$id", "")).rstrip("#") for v in _drafts(jsonschema)}
        if declared.rstrip("#") not in known:
            raise InputError(
                f"unknown $schema {declared!r}; name a JSON Schema draft (e.g. "
                "https://json-schema.org/draft/2020-12/schema)",
                position=Position(schema_rel),
            )
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise InputError(f"not a valid JSON Schema: {exc.message}", position=Position(schema_rel)) from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _drafts(jsonschema: Any) -> list[Any]:
    names = ("Draft3Validator", "Draft4Validator", "Draft6Validator", "Draft7Validator",
             "Draft201909Validator", "Draft202012Validator")  # fmt: skip
    return [getattr(jsonschema, n) for n in names if hasattr(jsonschema, n)]


def _present(record: dict[str, Any], keys: list[str]) -> tuple[str | None, Any]:
    for key in keys:
        value = record.get(key)
        if value is not None and value != "" and value != [] and value != {}:
            return key, value
    return None, None


def _redaction_field(record: dict[str, Any], names: list[str]) -> bool:
    for name in names:
        value = record.get(name)
        if value is True or (isinstance(value, (list, dict, str)) and value and value != "false"):
            return True
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return True
    return False


def _add(bucket: dict[str, Any], line: int, **extra: Any) -> None:
    bucket["count"] += 1
    if len(bucket["lines"]) < MAX_LISTED:
        bucket["lines"].append({"line": line, **extra} if extra else line)


def analyse_sample(
    text: str,
    schema: Any,
    *,
    sample_rel: str,
    schema_rel: str,
    expected_version: str | None,
    config: dict[str, Any] | None,
) -> dict[str, Any]:
    """The facts IOLOG judges (see the module docstring); ``config`` is policy data ``io_logging``."""

    cfg = config if isinstance(config, dict) else {}
    configured = cfg.get("required_fields")
    fields: dict[str, Any] = configured if isinstance(configured, dict) else dict(DEFAULT_FIELDS)
    roles = {str(r): [str(k) for k in keys] for r, keys in fields.items() if isinstance(keys, list)}
    try:
        markers = [re.compile(p, re.IGNORECASE) for p in cfg.get("redaction_markers", DEFAULT_MARKERS)]
    except re.error as exc:
        raise InputError(
            f"policy data io_logging.redaction_markers: not a regular expression: {exc}"
        ) from None
    redaction_fields = [str(n) for n in cfg.get("redaction_fields", DEFAULT_REDACTION_FIELDS)]
    enabled_pii = [str(k) for k in cfg.get("pii_kinds", DEFAULT_PII)]

    validator = _validator(schema, schema_rel)
    import referencing.exceptions  # jsonschema >= 4.18 resolves $ref through referencing

    required = schema_required(schema)
    errors: list[dict[str, Any]] = []
    error_count = 0
    records = 0
    role_out: dict[str, dict[str, Any]] = {
        role: {
            "accepted": keys,
            "schema_requires": next((k for k in keys if k in required), None),
            "missing": {"count": 0, "lines": []},
        }
        for role, keys in roles.items()
    }
    bad_time: dict[str, Any] = {"count": 0, "lines": []}
    other_version: dict[str, Any] = {"count": 0, "lines": []}
    pii: dict[str, Any] = {"count": 0, "lines": []}
    redacted_records = 0
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        records += 1
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            error_count += 1
            if len(errors) < MAX_SCHEMA_ERRORS:
                errors.append({"line": n, "message": f"not JSON: {getattr(exc, 'msg', 'too deeply nested')}"})
            continue
        try:
            found = sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
        except referencing.exceptions.Unresolvable as exc:
            raise InputError(f"a $ref cannot be resolved: {exc}", position=Position(schema_rel)) from None
        for err in found[:3]:
            error_count += 1
            if len(errors) < MAX_SCHEMA_ERRORS:
                where = "/" + "/".join(str(p) for p in err.absolute_path)
                errors.append({"line": n, "message": f"{where}: {err.message[:200]}"})
        error_count += max(0, len(found) - 3)
        obj = record if isinstance(record, dict) else {}
        for role, keys in roles.items():
            key, value = _present(obj, keys)
            if key is None:
                _add(role_out[role]["missing"], n)
            elif role == "timestamp" and not is_rfc3339(value):
                _add(bad_time, n, key=key, value=str(value)[:64])
            elif role == "model_version" and expected_version is not None and str(value) != expected_version:
                _add(other_version, n, key=key, value=str(value)[:64])
        strings = _strings(record)
        if _redaction_field(obj, redaction_fields) or any(m.search(s) for s in strings for m in markers):
            redacted_records += 1
        kinds = sorted({k for s in strings for k in pii_kinds(s, enabled_pii)})
        if kinds:
            _add(pii, n, kinds=kinds)
    return {
        "file": sample_rel,
        "schema": schema_rel,
        "draft": validator.META_SCHEMA.get("$id") or validator.META_SCHEMA.get("$schema"),
        "records": records,
        "valid": records > 0 and error_count == 0,
        "errors": errors,
        "error_count": error_count,
        "schema_required": required[:50],
        "fields": role_out,
        "bad_timestamps": bad_time,
        "expected_model_version": expected_version,
        "other_model_versions": other_version,
        "redacted_records": redacted_records,
        "unredacted": pii,
    }
