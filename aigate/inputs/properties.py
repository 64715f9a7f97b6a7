"""Java ``.properties``: ``{key: "value"}`` (a small parser of the format's documented rules).

Comments start with ``#`` or ``!``; key and value are separated by ``=``, ``:`` or whitespace;
a line ending in an odd number of backslashes continues; ``\\t \\n \\r \\f \\uXXXX`` and escaped
separators are decoded. Unlike conftest's library, ``${key}`` references are not expanded.
"""

from __future__ import annotations

from aigate.inputs.interface import InputParser, one, parse_error, text_of
from aigate.yamlload import Document

_ESC = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending: str | None = None
    start = 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" \t\f")
        if pending is None:
            if not stripped or stripped[0] in "#!":
                continue
            start, pending = n, ""
        pending += stripped
        trailing = len(pending) - len(pending.rstrip("\\"))
        if trailing % 2:
            pending = pending[:-1]
            continue
        out.append((start, pending))
        pending = None
    if pending is not None:
        out.append((start, pending))
    return out


def _unescape(s: str, file: str, line: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 == len(s):
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "u":
            digits = s[i + 2 : i + 6]
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise parse_error(file, f"bad unicode escape \\u{digits}", line)
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESC.get(nxt, nxt))
        i += 2
    return "".join(out)


def _split(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            key, rest = line[:i], line[i:].lstrip(" \t\f")
            if c in "=:" or rest[:1] in ("=", ":"):
                rest = rest[1:]
            return key, rest.lstrip(" \t\f")
        i += 1
    return line, ""


class PropertiesParser(InputParser):
    name = "properties"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        out: dict[str, str] = {}
        for line_no, line in _logical_lines(text_of(raw, file)):
            key, value = _split(line)
            out[_unescape(key, file, line_no)] = _unescape(value, file, line_no)
        return one(out, file)
