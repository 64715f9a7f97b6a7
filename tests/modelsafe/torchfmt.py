"""PyTorch checkpoints written without torch, exactly as ``torch.save`` writes them.

torch is not a test dependency (its wheel costs CI minutes), so checkpoints are crafted: the
``data.pkl`` opcodes are what torch 2.13.0's pickler emits for a ``state_dict`` (protocol 2,
``GLOBAL`` + ``BINPUT`` memo, storages as ``BINPERSID`` tuples ``('storage', torch.FloatStorage,
key, 'cpu', numel)``, tensors as ``torch._utils._rebuild_tensor_v2`` reductions,
``collections.OrderedDict`` containers), and the members are the ones torch writes
(``<name>/data.pkl``, ``data/<key>``, ``version``, ``byteorder``, ``.format_version``,
``.storage_alignment``, ``.data/serialization_id``). The crafted ``data.pkl`` and storages were
compared byte for byte with torch 2.13.0's own ``torch.save`` output (identical), and
``bench/bench_modelsafe.py`` repeats that comparison whenever torch is importable. The zip is
written by :mod:`zipfile` (torch also stores members uncompressed, but pads them to 64 bytes).
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


class Ref:
    """A global reference written as a protocol-2 ``GLOBAL`` opcode (no import needed)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> None:  # pickle requires a callable reduce function
        raise AssertionError("a stand-in is never called")


class Storage:
    def __init__(self, key: str, dtype_name: str, data: bytes, numel: int) -> None:
        self.key, self.dtype_name, self.data, self.numel = key, dtype_name, data, numel


class Tensor:
    def __init__(self, storage: Storage, shape: tuple[int, ...]) -> None:
        self.storage, self.shape = storage, shape

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        stride = []
        acc = 1
        for dim in reversed(self.shape):
            stride.insert(0, acc)
            acc *= dim
        return (
            REBUILD,
            (self.storage, 0, self.shape, tuple(stride), False, collections.OrderedDict()),
        )


REBUILD = Ref("torch._utils", "_rebuild_tensor_v2")
_REFS: dict[tuple[str, str], Ref] = {}


def ref(module: str, name: str) -> Ref:
    return _REFS.setdefault((module, name), Ref(module, name))


class TorchLikePickler(pickle._Pickler):  # type: ignore[misc,name-defined]
    """The pure-Python pickler with torch's ``persistent_id`` and global references."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def save_ref(self, obj: Ref) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[Ref] = save_ref

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Storage):
            return ("storage", ref("torch", obj.dtype_name), obj.key, "cpu", obj.numel)
        return None


_DTYPES = {np.float32: "FloatStorage", np.int64: "LongStorage", np.float16: "HalfStorage", np.bool_: "BoolStorage"}


def state_dict(arrays: dict[str, np.ndarray]) -> tuple[collections.OrderedDict[str, Tensor], list[Storage]]:
    sd: collections.OrderedDict[str, Tensor] = collections.OrderedDict()
    storages = []
    for i, (name, arr) in enumerate(arrays.items()):
        st = Storage(str(i), _DTYPES[arr.dtype.type], np.ascontiguousarray(arr).tobytes(), arr.size)
        storages.append(st)
        sd[name] = Tensor(st, tuple(arr.shape))
    return sd, storages


def data_pkl(obj: Any) -> bytes:
    buf = io.BytesIO()
    TorchLikePickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def write_checkpoint(path: Path, obj: Any, storages: list[Storage], extra: dict[str, bytes] | None = None) -> None:
    """A zip laid out like ``torch.save(obj, path)``; ``extra`` adds members (for attacks)."""
    root = path.stem
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{root}/data.pkl", data_pkl(obj))
        z.writestr(f"{root}/.format_version", b"1")
        z.writestr(f"{root}/.storage_alignment", b"64")
        z.writestr(f"{root}/byteorder", b"little")
        for st in storages:
            z.writestr(f"{root}/data/{st.key}", st.data)
        z.writestr(f"{root}/version", b"3\n")
        z.writestr(f"{root}/.data/serialization_id", b"1234567890123456789012345678901234567890")
        for name, data in (extra or {}).items():
            z.writestr(name, data)


def linear_state_dict(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "0.weight": rng.standard_normal((8, 4)).astype(np.float32),
        "0.bias": rng.standard_normal(8).astype(np.float32),
        "2.num_batches_tracked": np.array(3, dtype=np.int64),
        "3.weight": rng.standard_normal((2, 8)).astype(np.float32),
    }
