"""The OpenSSF model-signing CLI (``model_signing verify key``) accepts aigate's model.sig, and
rejects it when a model file changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigate.bundle import MODEL_SIG


def _model_signing() -> list[str]:
    exe = Path(sys.executable).with_name("model_signing")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("model_signing")
    if found is None:
        pytest.fail("the model_signing CLI (model-signing 1.1.x, a runtime dependency) is not installed")
    return [found]


def _verify(model: Path, sig: Path, pub: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*_model_signing(), "verify", "key", str(model), "--signature", str(sig), "--public_key", str(pub)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(proc.stdout, proc.stderr)
    return proc


def test_model_signing_verifies_aigate_model_sig(signed):
    bundle, pub, root = signed
    proc = _verify(root / "model", bundle.path / MODEL_SIG, pub)
    assert proc.returncode == 0 and "Verification succeeded" in proc.stdout


def test_model_signing_rejects_a_changed_model(signed, tmp_path):
    bundle, pub, root = signed
    copy = tmp_path / "model"
    shutil.copytree(root / "model", copy)
    (copy / "config.json").write_text('{"hidden": 9}\n')
    proc = _verify(copy, bundle.path / MODEL_SIG, pub)
    assert proc.returncode != 0 and "config.json" in (proc.stdout + proc.stderr)
