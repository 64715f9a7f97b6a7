"""Keras model configs: a ``Lambda`` layer or a custom object is code that runs on load.

A ``.keras`` zip's ``config.json`` (and a legacy ``.h5`` file's ``model_config`` attribute) names
every layer by ``class_name`` and, in Keras 3, by ``module``/``registered_name``. A ``Lambda``
layer carries marshalled Python bytecode; a ``__lambda__`` or ``function`` object outside Keras,
or any ``module`` outside ``keras``, makes the loader import and run code the file names.
"""

from __future__ import annotations

import json
from typing import Any

MAX_NODES = 1_000_000
_KERAS_MODULES = ("keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras")


def _is_keras_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _KERAS_MODULES)


def config_code(config: Any) -> list[str]:
    """What in a Keras config is code: one message per Lambda layer or custom object."""
    found: list[str] = []
    stack: list[Any] = [config]
    seen = 0
    while stack and len(found) < 20:
        node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            found.append("config too large to check")
            break
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        cls = node.get("class_name")
        module = node.get("module")
        if cls in ("Lambda", "__lambda__"):
            found.append(f"{cls} layer/object (Python code in the model config)")
        elif isinstance(module, str) and module and not _is_keras_module(module):
            found.append(f"custom object {cls!s} from module {module}")
        elif isinstance(node.get("registered_name"), str) and ">" in node["registered_name"]:
            found.append(f"custom registered object {node['registered_name']}")
        stack.extend(node.values())
    return found


def h5_model_config(data: bytes) -> Any:
    """The JSON ``model_config`` of a legacy Keras HDF5 file, found in its bytes; None if the file
    holds no model config (weights only). Raises ValueError if one is there but unreadable."""
    key = data.find(b"model_config")
    if key < 0:
        return None
    start = data.find(b'{"class_name"')
    if start < 0:
        raise ValueError("model_config attribute present but its JSON could not be found")
    text = data[start : start + (64 << 20)].decode("utf-8", "replace")
    obj, _ = json.JSONDecoder().raw_decode(text)
    return obj
