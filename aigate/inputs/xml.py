"""XML with xmltodict: elements as objects, repeated elements as arrays, text as strings.

conftest's XML parser (goxml2json) marks attributes with ``-`` and mixed text with
``#content``; xmltodict's ``@``/``#text`` are renamed to match. Entities are not expanded
(defusedxml-style: a DTD entity is an error), so a billion-laughs file cannot grow in memory.
"""

from __future__ import annotations

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document


class XmlParser(InputParser):
    name = "xml"
    requires = "xmltodict"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            import xmltodict
        except ImportError:
            raise missing_library(self.name, "xmltodict") from None
        from xml.parsers.expat import ExpatError

        text = text_of(raw, file)
        try:
            data = xmltodict.parse(text, attr_prefix="-", cdata_key="#content", disable_entities=True)
        except ExpatError as exc:
            raise parse_error(file, str(exc).split(":")[0], exc.lineno, exc.offset + 1) from None
        except ValueError as exc:
            raise parse_error(file, str(exc)) from None
        return one(data, file)
