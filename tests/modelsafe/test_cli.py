"""MODELSAFE through the real ``aigate check`` on a copy of the passing example.

The example passes everything at required levels 0 (an organisation data file says so), so the
exit code is MODELSAFE's alone: 1 for each payload, 0 for each real artifact. The first three
payloads are the ones aigate let through before the content-based scan (exit 0 with a warning);
before it, standard ``joblib.dump`` files also exited 2 ("policy does not compile").
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from aigate_cli import EXAMPLES, aigate, git

from modelsafe.corpus import MALICIOUS, benign

BENIGN = benign()


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str, Callable[[Path], None], str, bool], Path]:
    def make(name: str, writer: Callable[[Path], None], fmt: str, sklearn: bool = False) -> Path:
        root = tmp_path / "proj"
        shutil.copytree(EXAMPLES / "fraud-detector", root, symlinks=True)
        writer(root / "model" / name)
        manifest = (root / "aigate.yaml").read_text()
        manifest = manifest.replace(
            "    - path: model/model.safetensors\n      kind: model\n",
            f"    - path: model/model.safetensors\n      kind: model\n    - path: model/{name}\n"
            f"      kind: model\n      format: {fmt}\n",
        )
        (root / "aigate.yaml").write_text(manifest)
        org = "required_levels: {A: 0, B: 0}\n" + (
            "modelsafe: {allow_sklearn: true}\n" if sklearn else ""
        )
        (tmp_path / "org.yaml").write_text(org)
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "release")
        return root

    return make


def check(root: Path) -> tuple[int, dict, str]:
    run = aigate(
        "check", "--dry-run", "-C", str(root), "--data", str(root / "policy-data.yaml"),
        "--data", str(root.parent / "org.yaml"), "--format", "json",
    )  # fmt: skip
    assert run.returncode in (0, 1), run
    doc = json.loads(run.stdout)
    return run.returncode, doc, str(run)


@pytest.mark.parametrize(
    ("case", "fmt", "needle"),
    [
        ("zip-member-without-extension", "pytorch", "archive/payload"),
        ("zip-stdlib-data-pkl-plus-bin", "pytorch", "extra/optimizer.bin"),
        ("torch-extra-member-bin", "pytorch", "extra/optimizer.bin"),
        ("protocol0-no-header-odd-name", "pickle", "os.system"),
        ("escape-chars-in-name", "pickle", "<U+005C>"),
        ("truncated-pickle", "pickle", "not a valid pickle"),
        ("nested-torch-load-from-bytes", "pickle", "torch.storage._load_from_bytes"),
    ],
)
def test_payload_exits_1_naming_the_callable(case: str, fmt: str, needle: str, project: Callable[..., Path]) -> None:
    name, writer = MALICIOUS[case]
    code, doc, shown = check(project(name, writer, fmt))
    assert code == 1, shown
    denies = [f for f in doc["findings"] if f["control"] == "MODELSAFE" and f["severity"] == "deny"]
    assert denies and any(needle in f["message"] and name in f["message"] for f in denies), shown


@pytest.mark.parametrize(
    ("case", "fmt"),
    [
        ("joblib-numpy-0", "joblib"),
        ("joblib-numpy-zlib", "joblib"),
        ("sklearn-forest-joblib", "joblib"),
        ("torch-state-dict", "pytorch"),
        ("npy-float", "numpy"),
    ],
)
def test_real_artifact_exits_0(case: str, fmt: str, project: Callable[..., Path]) -> None:
    name, writer, sklearn = BENIGN[case]
    code, doc, shown = check(project(name, writer, fmt, sklearn))
    assert code == 0, shown
    ms = [f for f in doc["findings"] if f["control"] == "MODELSAFE"]
    assert ms and all(f["severity"] == "pass" for f in ms), shown


def test_ml_bom_records_the_scan_per_model_component(project: Callable[..., Path], tmp_path: Path) -> None:
    name, writer = MALICIOUS["zip-stdlib-data-pkl-plus-bin"]
    root = project(name, writer, "pytorch")
    bundle = tmp_path / "bundle"
    run = aigate(
        "check", "--dry-run", "-C", str(root), "--data", str(root / "policy-data.yaml"),
        "--data", str(root.parent / "org.yaml"), "--bundle-dir", str(bundle),
    )  # fmt: skip
    assert run.returncode == 1, run
    sboms = list(bundle.rglob("sbom.cdx.json"))
    assert sboms, run
    bom = json.loads(sboms[0].read_text())
    models = {c["bom-ref"]: {p["name"]: p["value"] for p in c.get("properties", [])} for c in bom["components"] if c["type"] == "machine-learning-model"}
    bad = models[f"model:model/{name}"]
    assert bad["aigate:safety"] == "imports"
    assert bad["aigate:safety:scanner"] == "aigate-zip"
    assert "os.system" in bad["aigate:safety:imports"].split()
    good = models["model:model/model.safetensors"]
    assert good["aigate:safety"] == "safe" and "aigate:safety:imports" not in good
