"""The layout of one array that ``joblib.dump`` writes inside its pickle stream.

joblib pickles a ``NumpyArrayWrapper`` (shape, dtype, alignment) and then writes the array's raw
bytes straight into the stream (or, for object arrays, a nested pickle of the array). The walker
must skip exactly those bytes to read on, so the size is computed from the wrapper's pickled
state: the dtype stand-in (``numpy.dtype(descr, False, True)`` plus its ``BUILD`` state, where
field 5 is the element size of flexible types and field 7 the flags, bit 0 = holds objects).
Anything we cannot size exactly returns None and the file is an error, never skipped blindly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from aigate.modelsafe.pickle_walk import Call, Dct, Global

_DESCR = re.compile(r"^[<>|=]?([biufcmMSUVO])(\d*)")


@dataclass(frozen=True)
class ArrayLayout:
    """How many bytes follow the wrapper, and whether they are a nested pickle instead."""

    nbytes: int
    has_object: bool
    aligned: bool


def _dtype(value: Any) -> tuple[int, bool] | None:
    """(itemsize, has_object) of a pickled ``numpy.dtype`` stand-in, or None."""
    if not isinstance(value, Call) or not isinstance(value.func, Global):
        return None
    if value.func.callable not in ("numpy.dtype", "numpy.core.multiarray.dtype"):
        return None
    args = value.args
    if not isinstance(args, tuple) or not args or type(args[0]) is not str:
        return None
    m = _DESCR.match(args[0])
    if m is None:
        return None
    state = value.state if isinstance(value.state, tuple) else ()
    flags = state[7] if len(state) > 7 and type(state[7]) is int else 0
    elsize = state[5] if len(state) > 5 and type(state[5]) is int else -1
    kind, digits = m.group(1), m.group(2)
    if kind == "O" or flags & 1:
        return 8, True
    if elsize > 0:
        return elsize, False
    if not digits:
        return None
    size = int(digits) * (4 if kind == "U" else 1)
    return (size, False) if size > 0 else None


def array_layout(state: Any) -> ArrayLayout | None:
    """The layout for a wrapper's ``BUILD`` state (a dict), or None if it cannot be sized."""
    if not isinstance(state, Dct):
        return None
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(type(x) is int and x >= 0 for x in shape):
        return None
    dt = _dtype(state.get("dtype"))
    if dt is None:
        return None
    itemsize, has_object = dt
    count = math.prod(shape) if shape else 1
    aligned = state.get("numpy_array_alignment_bytes") is not None
    return ArrayLayout(count * itemsize, has_object, aligned)
