"""INI in conftest's shape: ``{section: {key: value}}``, numbers and booleans converted.

Like conftest's go-ini: keys keep their case, keys before the first section are dropped (the
DEFAULT section), inline ``#``/``;`` comments are stripped, a quoted value loses its quotes, and
no section inherits another's keys.
"""

from __future__ import annotations

import configparser
import math
from typing import Any

from aigate.inputs.interface import InputParser, one, parse_error, text_of
from aigate.yamlload import Document

_TOP = "\x00aigate-top"
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _convert(value: str) -> Any:
    """strconv.ParseFloat first, then strconv.ParseBool, else the string (conftest's order)."""
    if "_" not in value:
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):  # Go's JSON writes an integral float64 without a fraction
                return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1]
    return value


class IniParser(InputParser):
    name = "ini"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        cp = configparser.ConfigParser(
            interpolation=None,
            default_section="\x00aigate-default",
            strict=False,
            inline_comment_prefixes=("#", ";"),
            allow_no_value=True,
        )
        cp.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            cp.read_string(f"[{_TOP}]\n" + text_of(raw, file), source=file)
        except configparser.ParsingError as exc:
            line = exc.errors[0][0] - 1 if exc.errors else None
            raise parse_error(file, "not an INI line", line) from None
        except configparser.Error as exc:
            line = getattr(exc, "lineno", None)
            raise parse_error(file, exc.message, line - 1 if line else None) from None
        out: dict[str, Any] = {}
        for section in cp.sections():
            if section == _TOP:
                continue
            out[section] = {k: _convert(_unquote(v or "")) for k, v in cp.items(section, raw=True)}
        return one(out, file)
