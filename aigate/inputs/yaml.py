"""YAML (every document of a multi-document stream) and JSON; a lone top-level array is split."""

from __future__ import annotations

from aigate.inputs.interface import InputParser, split_top_array
from aigate.yamlload import Document, Limits, load_json_document, load_yaml_documents

_LIMITS = Limits(max_bytes=32 * 1024 * 1024)


class YamlParser(InputParser):
    name = "yaml"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        docs = [d for d in load_yaml_documents(raw, file, limits=_LIMITS) if d.data is not None]
        if not docs:  # conftest evaluates an empty file once, with a null input
            return [Document(None, {}, file, 0)]
        return split_top_array(docs[0]) if len(docs) == 1 else docs


class JsonParser(InputParser):
    name = "json"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        return split_top_array(load_json_document(raw, file, limits=_LIMITS))
