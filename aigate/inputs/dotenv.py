"""``.env`` files with python-dotenv's parser: ``{KEY: "value"}``.

No interpolation: ``${VAR}`` stays as written, so the gate's environment never reaches a policy
(python-dotenv would expand it from ``os.environ``). A line that is not ``KEY=value`` is an
error with its line, as conftest's strict parser has it.
"""

from __future__ import annotations

import io

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document


class DotenvParser(InputParser):
    name = "dotenv"
    requires = "python-dotenv"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            from dotenv.parser import parse_stream
        except ImportError:
            raise missing_library(self.name, "python-dotenv") from None
        out: dict[str, str] = {}
        for binding in parse_stream(io.StringIO(text_of(raw, file))):
            if binding.error or (binding.key is not None and binding.value is None):
                raise parse_error(file, "expected KEY=value", binding.original.line)
            if binding.key is not None and binding.value is not None:
                out[binding.key] = binding.value
        return one(out, file)
