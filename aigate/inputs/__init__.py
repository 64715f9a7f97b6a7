"""Input documents for user policies: conftest's formats, each parsed by a well-kept library.

The parser is chosen by file name (``--parser NAME`` overrides it for every input); a file no
parser claims is an error naming it (exit 2), never read as a YAML string that passes vacuously.
``-`` is standard input (YAML unless ``--parser`` says otherwise). Every read is bounded.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from aigate.errors import InputError, Position, UsageError
from aigate.inputs.dockerfile import DockerfileParser
from aigate.inputs.dotenv import DotenvParser
from aigate.inputs.hcl2 import Hcl2Parser
from aigate.inputs.ini import IniParser
from aigate.inputs.interface import MAX_INPUT_BYTES, InputParser
from aigate.inputs.jsonnet import JsonnetParser
from aigate.inputs.properties import PropertiesParser
from aigate.inputs.toml import TomlParser
from aigate.inputs.xml import XmlParser
from aigate.inputs.yaml import JsonParser, YamlParser
from aigate.yamlload import Document, Limits, read_bounded

PARSERS: dict[str, InputParser] = {
    p.name: p
    for p in (
        YamlParser(),
        JsonParser(),
        TomlParser(),
        IniParser(),
        Hcl2Parser(),
        DockerfileParser(),
        DotenvParser(),
        XmlParser(),
        PropertiesParser(),
        JsonnetParser(),
    )
}
#: conftest's other names for the same parsers (SBOMs in JSON are plain JSON documents).
ALIASES = {
    "yml": "yaml",
    "hcl": "hcl2",
    "tf": "hcl2",
    "env": "dotenv",
    "docker": "dockerfile",
    "cyclonedx": "json",
    "spdx": "json",
}

EXTENSIONS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".ini": "ini",
    ".tf": "hcl2",
    ".hcl": "hcl2",
    ".tfvars": "hcl2",
    ".env": "dotenv",
    ".xml": "xml",
    ".pom": "xml",
    ".properties": "properties",
    ".jsonnet": "jsonnet",
    ".libsonnet": "jsonnet",
    ".dockerfile": "dockerfile",
    ".containerfile": "dockerfile",
}


@dataclass(frozen=True)
class InputFile:
    """One ``--input``: how it is named in results and the documents it holds."""

    display: str
    parser: str
    documents: list[Document]


def parser_names() -> list[str]:
    return sorted({*PARSERS, *ALIASES})


def resolve_parser(name: str) -> InputParser:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PARSERS:
        raise UsageError(f"unknown --parser {name!r}; choose one of {', '.join(parser_names())}")
    return PARSERS[key]


def parser_for(path: str) -> InputParser | None:
    """conftest's choice by name: the extension, or a Dockerfile/Containerfile/.env by its name."""
    base = Path(path).name
    lower = base.lower()
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")):
        return PARSERS["dockerfile"]
    if lower == ".env" or lower.startswith(".env."):
        return PARSERS["dotenv"]
    suffix = Path(lower).suffix
    name = EXTENSIONS.get(suffix)
    return PARSERS[name] if name else None


def _read_stdin() -> bytes:
    data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"standard input is over {MAX_INPUT_BYTES} bytes", position=Position("-"))
    return data


_SHAPE = Limits()


def check_shape(docs: list[Document], file: str, limits: Limits = _SHAPE) -> list[Document]:
    """Every parser's output within the YAML loader's depth and node caps (iteratively)."""
    for doc in docs:
        stack: list[tuple[object, int]] = [(doc.data, 1)]
        nodes = 0
        while stack:
            value, depth = stack.pop()
            nodes += 1
            if depth > limits.max_depth:
                raise InputError(f"document nests deeper than {limits.max_depth}", position=Position(file))
            if nodes > limits.max_nodes:
                raise InputError(f"document has more than {limits.max_nodes} values", position=Position(file))
            if isinstance(value, dict):
                stack.extend((v, depth + 1) for v in value.values())
            elif isinstance(value, list):
                stack.extend((v, depth + 1) for v in value)
    return docs


def _parse(parser: InputParser, raw: bytes, file: str) -> list[Document]:
    try:
        docs = parser.parse(raw, file)
    except RecursionError:
        raise InputError("document nests too deeply", position=Position(file)) from None
    return check_shape(docs, file)


def load_input(path: str, override: str | None = None) -> InputFile:
    if path == "-":
        parser = resolve_parser(override or "yaml")
        return InputFile("-", parser.name, _parse(parser, _read_stdin(), "-"))
    found = resolve_parser(override) if override else parser_for(path)
    if found is None:
        raise InputError(
            "no parser for this file name",
            position=Position(path),
            hint=f"pass --parser NAME ({', '.join(sorted(PARSERS))})",
        )
    raw = read_bounded(Path(path), limits=Limits(max_bytes=MAX_INPUT_BYTES), what="input file", display=path)
    return InputFile(path, found.name, _parse(found, raw, path))


def load_inputs(paths: tuple[str, ...], override: str | None = None) -> list[InputFile]:
    if list(paths).count("-") > 1:
        raise UsageError("standard input (-) can be given once")
    return [load_input(p, override) for p in paths if p != ""]


def combine(files: list[InputFile]) -> Document:
    """conftest's ``--combine``: one document, ``[{"path", "contents"}]`` sorted by path."""
    items = [(f.display, d.data) for f in files for d in f.documents]
    items.sort(key=lambda item: item[0])
    return Document([{"path": p, "contents": c} for p, c in items], {}, "Combined", 0)
