"""Every payload trick is denied; every real artifact passes with the default allowlist.

Each case goes through the real artifacts collector and the built-in MODELSAFE policy on the
embedded engine. Benign files are written by real numpy, scikit-learn and joblib; torch-format
checkpoints are crafted byte-identically (``torchfmt``). Nothing here is ever unpickled.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelsafe.corpus import MALICIOUS, benign

BENIGN = benign()

#: what a loader would be told the file is: the manifest declares pickle-capable formats
DECLARED = {".pt": "pytorch", ".joblib": "joblib", ".npy": "numpy", ".npz": "numpy", ".safetensors": "safetensors"}


def _declared(name: str) -> str:
    return DECLARED.get(Path(name).suffix, "onnx" if name.endswith(".onnx") else "pickle")


def _project(base: Path, case: str, name: str, writer: Callable[[Path], None]) -> tuple[Path, str]:
    root = base / case
    (root / "model").mkdir(parents=True, exist_ok=True)
    writer(root / "model" / name)
    return root, f"model/{name}"


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_payload_is_denied(case: str, tmp_path: Path, judge: Any) -> None:
    name, writer = MALICIOUS[case]
    root, rel = _project(tmp_path, case, name, writer)
    arts, result = judge(root, rel, _declared(name))
    denies = result.get("deny") or []
    assert denies, json.dumps(arts, indent=1)
    text = " ".join(d["msg"] for d in denies)
    assert rel in text  # the file is named
    status = arts[0]["safety"]["status"]
    assert status in ("imports", "unsafe", "error"), status


@pytest.mark.parametrize(
    ("case", "callable_", "member"),
    [
        ("reduce-os-system", "posix.system", "model/model.pkl"),
        ("protocol0-no-header-odd-name", "os.system", "model/model.model"),
        ("zip-member-without-extension", "os.system", "model/weights.zip!archive/payload"),
        ("torch-extra-member-bin", "posix.system", "model/model.pt!model/extra/optimizer.bin"),
        ("stack-global-memo-strings", "os.system", "model/m.pkl"),
        ("nested-torch-load-from-bytes", "torch.storage._load_from_bytes", "model/m.pkl"),
        ("py2-builtin-eval", "builtins.eval", "model/m.pkl"),
        ("inst-opcode", "os.system", "model/m.pkl"),
        ("obj-opcode", "subprocess.Popen", "model/m.pkl"),
        ("joblib-shadow-opcodes", "os.system", "model/m.pkl"),
        ("gzip-joblib-payload", "os.system", "model/m.joblib>gzip"),
        ("object-npy", "os.system", "model/w.npy"),
    ],
)
def test_deny_names_file_member_offset_and_callable(
    case: str, callable_: str, member: str, tmp_path: Path, judge: Any
) -> None:
    name, writer = MALICIOUS[case]
    root, rel = _project(tmp_path, case, name, writer)
    _arts, result = judge(root, rel, _declared(name))
    msgs = [d["msg"] for d in result["deny"] if d["rule"] == "disallowed-global"]
    assert any(callable_ in m and member in m and "offset" in m for m in msgs), msgs
    assert all("safetensors" in m and "allow_globals" in m for m in msgs)


def test_nested_payload_is_reported_inside_its_loader(tmp_path: Path, judge: Any) -> None:
    name, writer = MALICIOUS["nested-torch-load-from-bytes"]
    root, rel = _project(tmp_path, "nested", name, writer)
    arts, _ = judge(root, rel, "pickle")
    imports = arts[0]["safety"]["findings"][0]["imports"]
    inner = [i for i in imports if i["callable"] == "os.system"]
    assert inner and inner[0]["member"].endswith(">nested"), imports
    loader = [i for i in imports if i["callable"] == "torch.storage._load_from_bytes"]
    assert loader[0]["loader"] is True and loader[0]["called"] is True


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        ("stack-global-dynamic-name", "computed at load time"),
        ("data-after-stop-junk", "after STOP"),
        ("build-on-global", "modifies the imported object collections.OrderedDict"),
        ("ext-registry", "extension-registry"),
        ("keras-lambda", "Lambda"),
        ("keras-custom-module", "module os"),
        ("onnx-external-escape", "leaves the model directory"),
        ("savedmodel-readfile", "ReadFile"),
    ],
)
def test_structural_tricks_are_unsafe_whatever_the_allowlist(case: str, phrase: str, tmp_path: Path, judge: Any) -> None:
    name, writer = MALICIOUS[case]
    root, rel = _project(tmp_path, case, name, writer)
    arts, result = judge(root, rel, _declared(name), sklearn=True)
    assert arts[0]["safety"]["status"] == "unsafe"
    assert any(d["rule"] == "unsafe-model-file" and phrase in d["msg"] for d in result["deny"]), result["deny"]


def test_evidence_strings_are_plain_data(tmp_path: Path, judge: Any) -> None:
    """Backslashes, quotes and control characters from hostile names never reach the policy."""
    name, writer = MALICIOUS["escape-chars-in-name"]
    root, rel = _project(tmp_path, "esc", name, writer)
    arts, result = judge(root, rel, "pickle")
    dumped = json.dumps(arts)
    assert "\\\\" not in dumped and '\\"' not in dumped and "\\u0007" not in dumped
    assert any("<U+005C>" in d["msg"] for d in result["deny"])


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_real_artifact_passes_with_the_default_allowlist(case: str, tmp_path: Path, judge: Any) -> None:
    name, writer, sklearn = BENIGN[case]
    root, rel = _project(tmp_path, case, name, writer)
    if case == "onnx-external-inside":
        (root / "model" / "weights").mkdir()
        (root / "model" / "weights" / "m.bin").write_bytes(b"\0" * 8)
    arts, result = judge(root, rel, _declared(name), sklearn=sklearn)
    assert arts[0]["safety"]["status"] in ("safe", "imports"), json.dumps(arts, indent=1)
    assert not result.get("deny"), result["deny"]
    assert not [w for w in result.get("warn") or [] if w["rule"] != "model-program"], result["warn"]


@pytest.mark.parametrize("case", sorted(c for c, v in BENIGN.items() if v[2]))
def test_sklearn_needs_the_opt_in(case: str, tmp_path: Path, judge: Any) -> None:
    name, writer, _ = BENIGN[case]
    root, rel = _project(tmp_path, case, name, writer)
    _arts, result = judge(root, rel, _declared(name), sklearn=False)
    assert any(d["rule"] == "disallowed-global" and "sklearn." in d["msg"] for d in result["deny"])


def test_benign_and_payload_in_one_directory(tmp_path: Path, judge: Any) -> None:
    root = tmp_path / "dir"
    shards = root / "model" / "ckpt"
    shards.mkdir(parents=True)
    BENIGN["torch-state-dict"][1](shards / "model.pt")
    BENIGN["safetensors"][1](shards / "model.safetensors")
    MALICIOUS["torch-extra-member-bin"][1](shards / "other.pt")
    arts, result = judge(root, "model/ckpt", "pytorch")
    assert arts[0]["safety"]["status"] == "imports"
    assert [d["rule"] for d in result["deny"]] == ["disallowed-global"]
    assert "other.pt" in result["deny"][0]["msg"] and "model/ckpt/model.pt" not in result["deny"][0]["msg"]
    shutil.rmtree(root)
