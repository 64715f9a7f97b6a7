"""Jsonnet, evaluated by the ``jsonnet`` wheel with no imports (a file may not read others)."""

from __future__ import annotations

import json
import re

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_AT = re.compile(r":(\d+):(\d+)")


def _no_imports(base: str, rel: str) -> tuple[str, bytes]:
    raise RuntimeError(f"import {rel!r} is not allowed")


class JsonnetParser(InputParser):
    name = "jsonnet"
    requires = "jsonnet"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            import _jsonnet
        except ImportError:
            raise missing_library(self.name, "jsonnet") from None
        try:
            out = _jsonnet.evaluate_snippet(
                file, text_of(raw, file), import_callback=_no_imports, max_stack=200, max_trace=2
            )
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            m = _AT.search(first)
            raise parse_error(file, first, *(int(m[1]), int(m[2])) if m else (None, None)) from None
        return one(json.loads(out), file)
