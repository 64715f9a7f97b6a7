"""Dockerfiles with dockerfile-parse, in conftest's shape: one document, a list of commands.

Each command is ``{"Cmd": lowercased instruction, "Flags": [...], "Value": [...],
"JSON": exec form?, "SubCmd": ONBUILD's instruction, "Stage": index of the FROM it
belongs to}``; comments before an instruction are ``{"Cmd": "comment", "Value": [text]}`` as in
conftest (BuildKit's parser). Values are split as BuildKit splits them: exec form into its JSON
items, ENV/LABEL into keys and values (quotes kept), a shell form into one string.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_DIRECTIVE = re.compile(r"^\s*(syntax|escape|check)\s*=", re.IGNORECASE)
_WORD = re.compile(
    r"""(?:"(?:\\.|[^"\\])*"|'[^']*'|\\.|[^\s"'\\])+"""
)  # quotes kept, as BuildKit's node has them
_STRING = {"workdir", "user", "stopsignal", "maintainer"}  # BuildKit's parseString: one value
_MAYBE_JSON = {"run", "cmd", "entrypoint", "shell"}  # JSON array, else the rest as one value
_MAYBE_JSON_LIST = {"copy", "add", "volume"}  # JSON array, else whitespace-separated


def _flags_and_rest(value: str) -> tuple[list[str], str]:
    flags: list[str] = []
    rest = value.lstrip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        flags.append(flag)
        rest = rest.lstrip()
    return flags, rest


def _json_list(rest: str) -> list[str] | None:
    if not rest.startswith("["):
        return None
    try:
        items = json.loads(rest)
    except ValueError:
        return None
    return items if isinstance(items, list) and all(isinstance(x, str) for x in items) else None


def _values(cmd: str, rest: str, file: str, line: int) -> tuple[list[str], bool]:
    """``Value`` and ``JSON`` as BuildKit's parser builds them for each instruction."""
    if cmd in _MAYBE_JSON or cmd in _MAYBE_JSON_LIST:
        items = _json_list(rest)
        if items is not None:
            return items, True
        return ([rest] if rest else []) if cmd in _MAYBE_JSON else rest.split(), False
    if cmd == "healthcheck":
        kind, _, tail = rest.partition(" ")
        items = _json_list(tail.strip())
        if items is not None:
            return [kind, *items], True
        return ([kind, tail.strip()] if tail.strip() else [kind]), False
    if cmd in _STRING:
        return ([rest] if rest else []), False
    if cmd in ("env", "label"):
        words = _WORD.findall(rest)
        if "".join(words).count('"') % 2:
            raise parse_error(file, f"{cmd.upper()}: unterminated quote", line)
        if words and "=" not in words[0]:  # the old form: ENV key value with spaces
            key, _, val = rest.partition(" ")
            return [key, val.strip()], False
        out: list[str] = []
        for w in words:
            key, _, val = w.partition("=")
            out.extend([key, val])
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
        flags, rest = _flags_and_rest(rest)
    values, is_json = _values(sub or cmd, rest, file, line)
    return {"Cmd": cmd, "SubCmd": sub, "JSON": is_json, "Flags": flags, "Value": values, "Stage": stage}


class DockerfileParser(InputParser):
    name = "dockerfile"
    requires = "dockerfile-parse"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            from dockerfile_parse import DockerfileParser as _Parser
        except ImportError:
            raise missing_library(self.name, "dockerfile-parse") from None
        text_of(raw, file)  # UTF-8 or a clean InputError naming the file
        # fileobj, never a path: dockerfile-parse without one reads and *writes* ./Dockerfile
        parser = _Parser(fileobj=io.BytesIO(raw), env_replace=False)
        commands: list[dict[str, Any]] = []
        comments: list[str] = []
        stage = -1
        for item in parser.structure:
            cmd = str(item["instruction"]).lower()
            if cmd == "comment":
                if not (commands or not _DIRECTIVE.match(str(item["value"]))) and not comments:
                    continue  # a parser directive at the top is not a comment
                comments.append(str(item["value"]))
                continue
            if cmd == "from":
                stage += 1
            # BuildKit attaches comments to the next instruction, in that instruction's stage
            commands.extend(_comment(c, max(stage, 0)) for c in comments)
            comments = []
            commands.append(_command(item, max(stage, 0), file))
        return one(commands, file)


def _comment(text: str, stage: int) -> dict[str, Any]:
    return {"Cmd": "comment", "SubCmd": "", "JSON": False, "Flags": [], "Value": [text], "Stage": stage}
