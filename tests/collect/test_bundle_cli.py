"""Done-when 1 on the real CLI: a dry run with --bundle-dir on the example writes the collector
files, and its sbom.cdx.json is a valid, complete CycloneDX 1.6 ML-BOM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aigate_cli import aigate, committed_copy

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "fraud-detector"

_CDX_VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
print("VALID" if err is None else f"INVALID {err}")
"""


def test_dry_run_bundle_holds_a_valid_complete_ml_bom(tmp_path: Path) -> None:
    project = committed_copy("fraud-detector", tmp_path / "repo")
    bundle = tmp_path / "bundle"
    run = aigate("check", "-C", str(project), "--dry-run", "--bundle-dir", str(bundle))
    assert run.returncode == 0, run  # the passing example (README, first set-up command)
    for name in ("environment.json", "env-lock.json", "sbom.cdx.json", "licenses.json"):
        assert (bundle / name).is_file(), name
    sbom = bundle / "sbom.cdx.json"
    res = subprocess.run([sys.executable, "-c", _CDX_VALIDATE, str(sbom)], capture_output=True, text=True)
    assert res.stdout.strip() == "VALID", res.stdout + res.stderr
    doc = json.loads(sbom.read_text())
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    installed = len(json.loads(pip.stdout))
    models = [c for c in doc["components"] if c["type"] == "machine-learning-model"]
    datas = [c for c in doc["components"] if c["type"] == "data"]
    manifest_models = 1  # examples/fraud-detector: model/model.safetensors
    manifest_datasets = 1  # one remote dataset (url), a data component without hashes
    assert (len(models), len(datas)) == (manifest_models, manifest_datasets)
    assert len(doc["components"]) == installed + len(models) + len(datas)
    for m in models:
        path = next(p["value"] for p in m["properties"] if p["name"] == "aigate:path")
        out = subprocess.run(["sha256sum", path], cwd=project, capture_output=True, text=True, check=True)
        assert m["hashes"] == [{"alg": "SHA-256", "content": out.stdout.split()[0]}]
        assert "modelCard" in m
