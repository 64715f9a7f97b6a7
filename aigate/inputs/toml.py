"""TOML (the standard library's tomllib; tomli on Python 3.10)."""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _plain(value: Any) -> Any:
    """Dates and times become RFC 3339 strings, as conftest's TOML parser marshals them to JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


class TomlParser(InputParser):
    name = "toml"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib
            except ImportError:
                raise missing_library(self.name, "tomli") from None
        try:
            data = tomllib.loads(text_of(raw, file))
        except tomllib.TOMLDecodeError as exc:
            m = _AT.search(str(exc))
            msg = _AT.sub("", str(exc)).strip()
            raise parse_error(file, msg, *(int(m[1]), int(m[2])) if m else (None, None)) from None
        return one(_plain(data), file)
