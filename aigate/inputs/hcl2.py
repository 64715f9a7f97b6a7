"""HCL2 (Terraform) with python-hcl2, converted to the shape of conftest's Go HCL2 parser.

conftest (hcl2json) nests labelled blocks as ``{type: {label: [body, ...]}}`` and unlabelled
blocks as ``{type: [body, ...]}``; python-hcl2 returns ``{type: [{label: body}]}``. Strings lose
their quotes; expressions stay as their ``${...}`` source text, as in hcl2json.

Known differences from conftest's parser: a heredoc's value has no trailing newline (hcl2json
keeps it); an expression's text is python-hcl2's rendering (``${[for s in var.l : upper(s)]}``),
which can differ in spacing from hcl2json's; ``1.5e3`` is the number 1500.0 (hcl2json: 1500).
"""

from __future__ import annotations

from typing import Any

from aigate.inputs.interface import InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_BLOCK = "__is_block__"


def _body(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key == _BLOCK or key.startswith("__"):
            continue
        if isinstance(val, list) and val and all(isinstance(v, dict) for v in val) and _all_blocks(val):
            target = out.setdefault(key, [] if _BLOCK in val[0] else {})
            for block in val:
                _merge_block(target, block)
        else:
            out[key] = _value(val)
    return out


def _all_blocks(items: list[Any]) -> bool:
    def is_block(v: Any) -> bool:
        if not isinstance(v, dict):
            return False
        if _BLOCK in v:
            return True
        return len(v) == 1 and is_block(next(iter(v.values())))

    return all(is_block(v) for v in items)


def _merge_block(target: Any, block: dict[str, Any]) -> None:
    """Walk the label nesting down to the body and append it where hcl2json puts it."""
    if _BLOCK in block:
        if isinstance(target, list):
            target.append(_body(block))
        return
    ((label, inner),) = block.items()
    if _BLOCK in inner:
        target.setdefault(label, []).append(_body(inner))
    else:
        _merge_block(target.setdefault(label, {}), inner)


def _value(val: Any) -> Any:
    if isinstance(val, dict):
        return _body(val) if _BLOCK in val else {k: _value(v) for k, v in val.items()}
    if isinstance(val, list):
        return [_value(v) for v in val]
    return val


class Hcl2Parser(InputParser):
    name = "hcl2"
    requires = "python-hcl2"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            import hcl2
        except ImportError:
            raise missing_library(self.name, "python-hcl2") from None
        options = hcl2.SerializationOptions(
            with_comments=False,
            strip_string_quotes=True,
            explicit_blocks=True,
            preserve_heredocs=False,
            preserve_scientific_notation=False,
        )
        try:
            data = hcl2.loads(text_of(raw, file), serialization_options=options)
        except RecursionError:
            raise  # named as nesting by the caller
        except Exception as exc:  # lark raises many kinds; each is bad input
            line = getattr(exc, "line", None)
            column = getattr(exc, "column", None)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise parse_error(
                file,
                first,
                line if isinstance(line, int) else None,
                column if isinstance(column, int) else None,
            ) from None
        return one(_body({**data, _BLOCK: True}), file)
