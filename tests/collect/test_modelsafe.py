"""Model-file safety: real pickles (benign and malicious), real tensor-format headers."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigate.collect.modelsafe import scan_file


class _Evil:
    """Unpickling this runs ``os.system`` — the classic model-file payload."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned > /tmp/aigate-test-pwned",))


def malicious_pickle() -> bytes:
    return pickle.dumps(_Evil(), protocol=4)


def test_os_system_reduce_reports_the_exact_callable(tmp_path: Path) -> None:
    p = tmp_path / "model.pkl"
    p.write_bytes(malicious_pickle())
    r = scan_file(p, "model.pkl")
    assert (r["status"], r["scanner"]) == ("imports", "aigate-pickle")
    [imp] = r["findings"][0]["imports"]
    assert imp["callable"] == "posix.system" and imp["called"] is True
    # the offset is the STACK_GLOBAL's: the module and name strings are right before it
    raw = malicious_pickle()
    assert raw[imp["offset"]] == 0x93 and b"system" in raw[imp["offset"] - 8 : imp["offset"]]


def test_benign_pickle_is_safe(tmp_path: Path) -> None:
    p = tmp_path / "weights.pkl"
    p.write_bytes(pickle.dumps({"w": [0.1, 0.2], "b": (1, "x")}))
    assert scan_file(p)["status"] == "safe"
    assert scan_file(p)["findings"] == []


def test_safetensors_is_safe_and_validated(tmp_path: Path, safetensors_writer: Any) -> None:
    good = tmp_path / "model.safetensors"
    safetensors_writer(good)
    assert scan_file(good) == {
        "format": "safetensors",
        "status": "safe",
        "scanner": "safetensors-header",
        "findings": [],
    }
    disguised = tmp_path / "evil.safetensors"
    disguised.write_bytes(malicious_pickle())
    r = scan_file(disguised)
    assert r["status"] != "safe"
    bad_offsets = tmp_path / "bad.safetensors"
    header = b'{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,4096]}}'
    bad_offsets.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    assert scan_file(bad_offsets)["status"] == "error"


def _torch_zip(path: Path, payload: bytes) -> None:
    """The PyTorch zip layout: ``archive/data.pkl`` plus raw storages under ``archive/data/``."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/data/0", os.urandom(64))
        z.writestr("archive/version", "3\n")


def test_pytorch_zip_scanned_member_by_member(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    _torch_zip(evil, malicious_pickle())
    r = scan_file(evil, "evil.pt")
    assert (r["format"], r["status"]) == ("pytorch", "imports")
    assert r["findings"][0]["imports"][0]["member"] == "evil.pt!archive/data.pkl"
    ok = tmp_path / "ok.pth"
    _torch_zip(ok, pickle.dumps({"layer": [1, 2, 3]}))
    assert scan_file(ok)["status"] == "safe"


def test_truncated_pickle_is_not_safe(tmp_path: Path) -> None:
    p = tmp_path / "cut.pkl"
    p.write_bytes(pickle.dumps({"a": list(range(100))})[:-20])
    assert scan_file(p)["status"] == "error"


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x04" + b"N\x94" * 200_000 + b".",  # huge memo
        b"\x80\x04" + b"(" * 50_000 + b"l" * 50_000 + b".",  # deep nesting
    ],
    ids=["memo-bomb", "deep-nesting"],
)
def test_pickle_bombs_are_walked_within_bounds(
    tmp_path: Path, payload: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    """Both are valid pickles that import nothing (CPython loads them to None / nested lists):
    the walker finishes them with bounded memory and calls them what they are."""
    p = tmp_path / "bomb.pkl"
    p.write_bytes(payload)
    r = scan_file(p)
    assert r["status"] == "safe"
    p.write_bytes(payload[:-1])  # no STOP: truncated
    assert scan_file(p)["status"] in ("unsafe", "error")
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # the core never prints


def test_gguf_onnx_numpy_and_unknown(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\0" * 32)
    assert scan_file(gguf)["status"] == "safe"
    # ONNX ModelProto: ir_version (field 1, varint) then graph (field 7) holding one node named n
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"\x08\x08" + b"\x3a\x05" + b"\x0a\x03\x1a\x01n")
    assert scan_file(onnx) == {"format": "onnx", "status": "safe", "scanner": "onnx-protobuf", "findings": []}
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\xff\xff\xff")
    assert scan_file(junk)["status"] == "error"
    plain = tmp_path / "w.npy"
    np.save(plain, np.arange(10.0))
    assert scan_file(plain)["format"] == "numpy" and scan_file(plain)["status"] == "safe"
    obj = tmp_path / "o.npy"
    np.save(obj, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    r = scan_file(obj)
    assert r["format"] == "numpy-object" and r["scanner"] == "aigate-pickle" and r["status"] == "imports"
    assert {i["callable"] for i in r["findings"][0]["imports"]} <= {
        "numpy._core.multiarray._reconstruct",
        "numpy.ndarray",
        "numpy.dtype",
    }
    unknown = tmp_path / "weights.xyz"
    unknown.write_bytes(b"\x01\x02\x03")
    assert scan_file(unknown)["status"] == "unknown"


def test_npz_members_are_scanned(tmp_path: Path) -> None:
    p = tmp_path / "arrays.npz"
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3))
    p.write_bytes(buf.getvalue())
    r = scan_file(p)
    assert (r["format"], r["status"]) == ("numpy-npz", "safe")


def test_modelsafe_policy_denies_the_malicious_pickle(
    tmp_path: Path, make_ctx: Any, default_policy_data: dict[str, Any], safetensors_writer: Any
) -> None:
    """End to end with the built-in MODELSAFE control on the embedded engine: deny, then pass."""
    from aigate.collect.artifacts import ArtifactsCollector
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.library import builtin_set

    root = tmp_path / "proj"
    (root / "model").mkdir(parents=True)
    (root / "model" / "model.pkl").write_bytes(malicious_pickle())
    safetensors_writer(root / "model" / "model.safetensors")
    engine = EmbeddedEngine()
    engine.compile(list(builtin_set().modules), {"aigate": {"config": default_policy_data}})

    def evaluate(path: str, fmt: str) -> Any:
        manifest = {
            "model": {
                "name": "m",
                "version": "1",
                "format": fmt,
                "artifacts": [{"path": path, "kind": "model"}],
            }
        }
        ev = ArtifactsCollector().collect(make_ctx(manifest, root=root))
        return engine.query("aigate.controls.modelsafe", {"manifest": manifest, "artifacts": ev.data})

    bad = evaluate("model/model.pkl", "pickle")
    assert bad["basis"] == "evidence"
    assert [d["rule"] for d in bad["deny"]] == ["disallowed-global"]
    good = evaluate("model/model.safetensors", "safetensors")
    assert not good.get("deny")
    assert not good.get("warn")
