"""The model-file corpus: benign files written by the real libraries, and hand-written payloads.

Benign files come from real numpy, scikit-learn and joblib (and torch-format checkpoints crafted
byte-identically, see ``torchfmt``). Payloads are written opcode by opcode, one per trick; none
is ever loaded (nothing here calls ``pickle.load``, ``np.load`` or ``joblib.load``). The bench
(``bench/bench_modelsafe.py``) scans the same corpus with other tools.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import zipfile
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import joblib
import numpy as np

from modelsafe import torchfmt

# --- opcode helpers (protocol 4 unless said otherwise) -------------------------------------


def u(s: str) -> bytes:
    """SHORT_BINUNICODE."""
    raw = s.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def blob(b: bytes) -> bytes:
    """BINBYTES."""
    return b"B" + struct.pack("<I", len(b)) + b


P4 = b"\x80\x04"
SYSTEM_P0 = b"cos\nsystem\n(S'echo pwned'\ntR."
SYSTEM_P4 = P4 + u("os") + u("system") + b"\x93" + u("echo pwned") + b"\x85R."


def system_p2() -> bytes:
    return b"\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."


class _Evil:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("echo pwned",))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def npy_object(payload_pickle: bytes) -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload_pickle


def joblib_shadow_payload() -> bytes:
    """A real joblib file whose uint8 array bytes are pickle opcodes: joblib skips them as array
    data, plain ``pickle.load`` of the same file would run them."""
    buf = io.BytesIO()
    joblib.dump({"w": np.frombuffer(SYSTEM_P0, dtype=np.uint8)}, buf)
    return buf.getvalue()


def keras_zip(layer: dict[str, object]) -> bytes:
    config = {"class_name": "Sequential", "module": "keras", "config": {"layers": [layer]}}
    return zip_bytes(
        {
            "metadata.json": json.dumps({"keras_version": "3.6.0"}).encode(),
            "config.json": json.dumps(config).encode(),
            "model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 64,
        }
    )


def varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def pb(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def onnx_with_external(location: str) -> bytes:
    entry = pb(1, b"location") + pb(2, location.encode())
    tensor = pb(8, b"w") + pb(13, entry) + b"\x70\x01"  # data_location = EXTERNAL
    graph = pb(5, tensor) + pb(2, b"g")
    return b"\x08\x08" + pb(7, graph)


def savedmodel_with(op: str) -> bytes:
    node = pb(1, b"n") + pb(2, op.encode())
    return b"\x08\x01" + pb(2, pb(2, pb(1, node)))


def safetensors(header: dict[str, object], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def torch_zip(extra: dict[str, bytes] | None = None, payload: bytes | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        sd, storages = torchfmt.state_dict(torchfmt.linear_state_dict())
        torchfmt.write_checkpoint(path, sd, storages, extra)
        if payload is not None:  # replace data.pkl by the payload
            src = path.read_bytes()
            with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w") as zout:
                for info in zin.infolist():
                    data = payload if info.filename.endswith("/data.pkl") else zin.read(info)
                    zout.writestr(info.filename, data)

    return write


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


# --- the malicious corpus: (file name, writer, what the trick is) --------------------------

MALICIOUS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "reduce-os-system": ("model.pkl", _bytes(pickle.dumps(_Evil(), protocol=4))),
    "protocol0-no-header-odd-name": ("model.model", _bytes(SYSTEM_P0)),
    "protocol2-posix": ("model.pkl", _bytes(system_p2())),
    "zip-member-without-extension": ("weights.zip", _bytes(zip_bytes({"archive/payload": SYSTEM_P4}))),
    "torch-extra-member-bin": (
        "model.pt",
        torch_zip(extra={"model/extra/optimizer.bin": pickle.dumps(_Evil(), protocol=2)}),
    ),
    "zip-stdlib-data-pkl-plus-bin": (
        "model.pt",
        _bytes(zip_bytes({"archive/data.pkl": pickle.dumps({"a": 1}, protocol=2), "archive/extra/optimizer.bin": SYSTEM_P4})),
    ),
    "torch-data-pkl-payload": ("model.pt", torch_zip(payload=pickle.dumps(_Evil(), protocol=2))),
    "stack-global-memo-strings": (
        "m.pkl",
        _bytes(P4 + u("os") + b"\x94" + u("system") + b"\x94" + b"0" + b"0" + b"h\x00h\x01\x93" + u("id") + b"\x85R."),
    ),
    "stack-global-dynamic-name": (
        "m.pkl",
        _bytes(P4 + u("builtins") + u("str") + b"\x93" + u("os") + b"\x85R" + u("system") + b"\x93" + u("id") + b"\x85R."),
    ),
    "nested-torch-load-from-bytes": (
        "m.pkl",
        _bytes(P4 + u("torch.storage") + u("_load_from_bytes") + b"\x93" + blob(SYSTEM_P4) + b"\x85R."),
    ),
    "nested-pickle-loads": ("m.pkl", _bytes(P4 + u("pickle") + u("loads") + b"\x93" + blob(SYSTEM_P0) + b"\x85R.")),
    "nested-numpy-load": ("m.pkl", _bytes(P4 + u("numpy") + u("load") + b"\x93" + u("/tmp/x.npy") + b"\x85R.")),
    "data-after-stop-pickle": ("m.pkl", _bytes(pickle.dumps({"w": [1.0]}, protocol=4) + SYSTEM_P4)),
    "data-after-stop-junk": ("m.pkl", _bytes(pickle.dumps({"w": [1.0]}, protocol=4) + b"\x00\xffgarbage")),
    "memo-reuse-after-pop": (
        "m.pkl",
        _bytes(P4 + u("os") + u("system") + b"\x93\x94" + b"0" + b"N0" + b"h\x00" + u("id") + b"\x85R."),
    ),
    "inst-opcode": ("m.pkl", _bytes(b"(S'id'\nios\nsystem\n.")),
    "obj-opcode": ("m.pkl", _bytes(b"\x80\x02(csubprocess\nPopen\nS'id'\no.")),
    "newobj-ex": ("m.pkl", _bytes(P4 + u("subprocess") + u("Popen") + b"\x93" + u("id") + b"\x85}\x92.")),
    "py2-builtin-eval": ("m.pkl", _bytes(b"\x80\x02c__builtin__\neval\nX\x02\x00\x00\x001+q\x00\x85R.")),
    "getattr-chain": (
        "m.pkl",
        _bytes(P4 + u("builtins") + u("getattr") + b"\x93" + u("builtins") + u("set") + b"\x93" + u("mro") + b"\x86R."),
    ),
    "build-on-global": ("m.pkl", _bytes(P4 + u("collections") + u("OrderedDict") + b"\x93}" + u("x") + b"Ns" + b"b.")),
    "ext-registry": ("m.pkl", _bytes(b"\x80\x02\x82\x01)R.")),
    "dotted-attribute-path": ("m.pkl", _bytes(P4 + u("datetime") + u("sys.modules") + b"\x93.")),
    "escape-chars-in-name": ("m.pkl", _bytes(b"c\\x5c\"os\nsys\\tem\x07\n(S'id'\ntR.")),
    "joblib-shadow-opcodes": ("m.pkl", _bytes(joblib_shadow_payload())),
    "object-npy": ("w.npy", _bytes(npy_object(SYSTEM_P4))),
    "npz-object-member": ("w.npz", _bytes(zip_bytes({"a.npy": npy_object(SYSTEM_P4)}))),
    "gzip-joblib-payload": ("m.joblib", _bytes(gzip.compress(SYSTEM_P4))),
    "zlib-joblib-payload": ("m.joblib", _bytes(zlib.compress(SYSTEM_P4))),
    "lzma-joblib-payload": ("m.joblib", _bytes(lzma.compress(SYSTEM_P4, format=lzma.FORMAT_ALONE))),
    "bz2-pickle-payload": ("m.bin", _bytes(bz2.compress(SYSTEM_P4))),
    "pickle-named-safetensors": ("m.safetensors", _bytes(SYSTEM_P4)),
    "safetensors-overlap": (
        "m.safetensors",
        _bytes(
            safetensors(
                {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                b"\0" * 12,
            )
        ),
    ),
    "keras-lambda": ("m.keras", _bytes(keras_zip({"class_name": "Lambda", "config": {"function": "4wEAAAAA"}}))),
    "keras-custom-module": ("m.keras", _bytes(keras_zip({"class_name": "Evil", "module": "os", "config": {}}))),
    "onnx-external-escape": ("m.onnx", _bytes(onnx_with_external("../../etc/passwd"))),
    "savedmodel-readfile": ("saved_model.pb", _bytes(savedmodel_with("ReadFile"))),
    "truncated-pickle": ("m.pkl", _bytes(pickle.dumps({"a": list(range(50))}, protocol=4)[:-9])),
    "memo-bomb": ("m.pkl", _bytes(b"\x80\x04" + b"N\x94" * 200_000 + b"\x93.")),
}


# --- the benign corpus ---------------------------------------------------------------------


@functools.cache
def _sklearn_models() -> dict[str, object]:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 4))
    y = (x[:, 0] > 0).astype(int)
    return {
        "logreg": LogisticRegression().fit(x, y),
        "forest": RandomForestClassifier(n_estimators=4, random_state=0).fit(x, y),
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y),
        "tree": DecisionTreeRegressor(max_depth=3).fit(x, x[:, 1]),
        # random_state objects pickle numpy's bit generators and SeedSequence
        "hist-gboost": HistGradientBoostingClassifier(max_iter=3, random_state=np.random.RandomState(0)).fit(x, y),
    }


def _joblib(obj: object, compress: object = 0) -> Callable[[Path], None]:
    return lambda p: joblib.dump(obj, p, compress=compress)


def _np_save(arr: np.ndarray) -> Callable[[Path], None]:
    return lambda p: np.save(p, arr)


def _savez(compressed: bool) -> Callable[[Path], None]:
    arrays = {"w": np.arange(12.0).reshape(3, 4), "b": np.zeros(3, dtype=np.int32)}
    return lambda p: (np.savez_compressed if compressed else np.savez)(p, **arrays)


def _safetensors_file(p: Path) -> None:
    data = np.arange(6, dtype=np.float32).tobytes()
    p.write_bytes(safetensors({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}, data))


SCALARS = {
    "f": 1.5,
    "i": 2**70,
    "s": {1, 2},
    "fs": frozenset({3}),
    "b": b"\x00\xff",
    "ba": bytearray(b"ab"),
    "c": complex(1, 2),
    "d": date(2026, 1, 2),
    "dt": datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc),
    "td": timedelta(days=1),
    "dec": Decimal("1.25"),
    "od": OrderedDict(a=1),
    "ctr": Counter("aab"),
    "none": None,
    "t": (True, False),
}


def benign() -> dict[str, tuple[str, Callable[[Path], None], bool]]:
    """name -> (file name, writer, needs the sklearn opt-in)."""
    out: dict[str, tuple[str, Callable[[Path], None], bool]] = {}
    for proto in range(6):
        out[f"scalars-protocol{proto}"] = ("m.pkl", _bytes(pickle.dumps(SCALARS, protocol=proto)), False)
        arr = {"w": np.arange(6.0).reshape(2, 3), "n": np.int64(3), "f": np.float32(1.5)}
        out[f"numpy-pickle-protocol{proto}"] = ("a.pkl", _bytes(pickle.dumps(arr, protocol=proto)), False)
    arrays = {"w": np.arange(6.0), "labels": np.array(["a", "bb"]), "m": np.zeros((2, 2), dtype=np.float16)}
    for comp in (0, 3, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("lzma", 3), ("xz", 3), ("lz4", 3)):
        label = comp if isinstance(comp, int) else comp[0]
        out[f"joblib-numpy-{label}"] = ("arrays.joblib", _joblib(arrays, comp), False)
    for name, model in _sklearn_models().items():
        out[f"sklearn-{name}-joblib"] = (f"{name}.joblib", _joblib(model), True)
        out[f"sklearn-{name}-joblib-zlib"] = (f"{name}.joblib", _joblib(model, 3), True)
        out[f"sklearn-{name}-pickle5"] = (f"{name}.pkl", _bytes(pickle.dumps(model, protocol=5)), True)
    out["sklearn-logreg-pickle0"] = ("lr.pkl", _bytes(pickle.dumps(_sklearn_models()["logreg"], protocol=0)), True)
    out["npy-float"] = ("w.npy", _np_save(np.arange(10.0)), False)
    out["npy-structured-field-named-O"] = ("s.npy", _np_save(np.zeros(2, dtype=[("O", "<i4"), ("Obj", "<f8")])), False)
    out["npy-unicode"] = ("u.npy", _np_save(np.array(["x", "yz"])), False)
    out["npz"] = ("w.npz", _savez(False), False)
    out["npz-compressed"] = ("w.npz", _savez(True), False)
    out["torch-state-dict"] = ("model.pt", torch_zip(), False)
    out["safetensors"] = ("model.safetensors", _safetensors_file, False)
    out["gguf"] = ("m.gguf", _bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0)), False)
    out["onnx-external-inside"] = ("m.onnx", _bytes(onnx_with_external("weights/m.bin")), False)
    out["keras-dense"] = ("m.keras", _bytes(keras_zip({"class_name": "Dense", "module": "keras.layers", "config": {"units": 2}})), False)
    out["savedmodel-plain"] = ("saved_model.pb", _bytes(savedmodel_with("MatMul")), False)
    return out
