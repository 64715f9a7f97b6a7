"""Dockerfiles with dockerfile-parse, in conftest's shape: one document, a list of commands.

Each command is ``{"Cmd": lowercased instruction, "Flags": [...], "Value": [...], "Original":
line text, "JSON": exec form?, "SubCmd": ONBUILD's instruction, "Stage": index of the FROM it
belongs to}``; comments before an instruction are ``{"Cmd": "comment", "Value": [text]}`` as in
conftest (BuildKit's parser). Values are split as BuildKit splits them: exec form into its JSON
items, ENV/LABEL/ARG into key and value, a shell form into one string.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_KEYVALUE = {"env", "label"}


def _flags_and_rest(value: str) -> tuple[list[str], str]:
    flags: list[str] = []
    rest = value.lstrip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        flags.append(flag)
        rest = rest.lstrip()
    return flags, rest


def _values(cmd: str, rest: str, file: str, line: int) -> tuple[list[str], bool]:
    if rest.startswith("[") and cmd not in _KEYVALUE:
        try:
            items = json.loads(rest)
        except ValueError:
            items = None
        if isinstance(items, list) and all(isinstance(x, str) for x in items):
            return items, True
    if cmd in ("run", "cmd", "entrypoint", "shell", "healthcheck") or cmd == "maintainer":
        return ([rest] if rest else []), False
    if cmd in _KEYVALUE or cmd == "arg":
        try:
            words = shlex.split(rest, posix=True)
        except ValueError as exc:
            raise parse_error(file, f"{cmd.upper()}: {exc}", line) from None
        out: list[str] = []
        for w in words:
            key, sep, val = w.partition("=")
            out.extend([key, val] if sep or cmd != "arg" else [key])
        if cmd == "env" and len(words) >= 1 and "=" not in words[0]:
            key, _, val = rest.partition(" ")
            out = [key, val.strip()]
        return out, False
    return rest.split(), False


def _command(item: dict[str, Any], stage: int, file: str) -> dict[str, Any]:
    cmd = str(item["instruction"]).lower()
    line = int(item["startline"]) + 1
    flags, rest = _flags_and_rest(str(item["value"]))
    sub = ""
    if cmd == "onbuild":
        sub, _, rest = rest.partition(" ")
        sub = sub.lower()
        rest = rest.strip()
    values, is_json = _values(sub or cmd, rest, file, line)
    return {
        "Cmd": cmd,
        "SubCmd": sub,
        "JSON": is_json,
        "Flags": flags,
        "Value": values,
        "Original": str(item["content"]).strip(),
        "Stage": stage,
    }


class DockerfileParser(InputParser):
    name = "dockerfile"
    requires = "dockerfile-parse"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            from dockerfile_parse import DockerfileParser as _Parser
        except ImportError:
            raise missing_library(self.name, "dockerfile-parse") from None
        parser = _Parser(fileobj=None, env_replace=False)
        parser.content = text_of(raw, file)
        commands: list[dict[str, Any]] = []
        stage = -1
        for item in parser.structure:
            cmd = str(item["instruction"]).lower()
            if cmd == "comment":
                commands.append(
                    {
                        "Cmd": "comment",
                        "SubCmd": "",
                        "JSON": False,
                        "Flags": [],
                        "Value": [str(item["value"])],
                        "Original": str(item["content"]).strip(),
                        "Stage": max(stage, 0),
                    }
                )
                continue
            if cmd == "from":
                stage += 1
            commands.append(_command(item, max(stage, 0), file))
        return one(commands, file)
