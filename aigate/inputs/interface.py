"""The input-parser interface: one parser per configuration format, chosen by file name.

A parser turns bounded bytes into conftest's shape of that format: a list of the documents a
file holds (a multi-document YAML stream, the elements of a top-level JSON array), each evaluated
on its own, as conftest does. A parser never guesses: bytes it cannot parse are an
:class:`~aigate.errors.InputError` naming the file and, where the library says, the line.
"""

from __future__ import annotations

import abc
from typing import Any

from aigate.errors import InputError, Position
from aigate.yamlload import Document, decode_utf8

#: Largest input file any parser reads (bytes); checked before reading.
MAX_INPUT_BYTES = 32 * 1024 * 1024


class InputParser(abc.ABC):
    """A configuration format: ``name`` is the ``--parser`` value."""

    name: str = ""
    #: Python package (``pip install`` name) the parser needs, named in the missing-library error.
    requires: str | None = None

    @abc.abstractmethod
    def parse(self, raw: bytes, file: str) -> list[Document]:
        """The documents ``raw`` holds, in conftest's shape."""


def text_of(raw: bytes, file: str) -> str:
    """UTF-8 text (BOM dropped) or an InputError at the first bad byte."""
    return decode_utf8(raw, file)


def missing_library(parser: str, package: str) -> InputError:
    return InputError(
        f"the {parser} parser needs the Python package {package!r}",
        hint="pip install 'aigate[conftest]'",
    )


def parse_error(file: str, problem: str, line: int | None = None, column: int | None = None) -> InputError:
    return InputError(f"not valid input: {problem}", position=Position(file, line, column))


def split_top_array(doc: Document) -> list[Document]:
    """conftest evaluates each element of a top-level array as its own document."""
    if not isinstance(doc.data, list):
        return [doc]
    out: list[Document] = []
    for i, item in enumerate(doc.data):
        prefix = f"/{i}"
        positions = {
            p[len(prefix) :]: v for p, v in doc.positions.items() if p == prefix or p.startswith(prefix + "/")
        }
        out.append(Document(item, positions, doc.file, i))
    return out


def one(data: Any, file: str) -> list[Document]:
    return [Document(data, {}, file, 0)]
