"""docs/bundle.md's "Without aigate" commands run as written against a real bundle of the example.

The commands are read from the document (not restated here), so a documented command that
does not work fails this test. The verifiers are independent of aigate: the OpenSSF
``model_signing`` CLI, sigstore-js, and ``jq`` + ``sha256sum``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from aigate_cli import aigate, clean_env, committed_copy
from ci_support import missing

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "interop" / "node"


def documented_commands() -> list[str]:
    text = (ROOT / "docs" / "bundle.md").read_text()
    block = text.split("Without aigate:", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    commands = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    assert len(commands) == 3, commands
    return commands


def test_documented_third_party_verification_runs_as_written(tmp_path: Path) -> None:
    for tool in ("jq", "sha256sum", "node"):
        if shutil.which(tool) is None:
            missing(f"{tool} is not installed")
    if not (NODE_DIR / "node_modules" / "@sigstore" / "verify").is_dir():
        missing("sigstore-js not installed: run `npm ci --prefix tests/interop/node`")
    project = committed_copy("fraud-detector", tmp_path)
    key = tmp_path / "release-key"
    assert aigate("keygen", str(key)).returncode == 0
    r = aigate(
        "check",
        "-C",
        str(project),
        "--sign",
        f"key:{key}",
        "--bundle-dir",
        str(project / "releases/1.4.0"),
        "-q",
    )
    assert r.returncode == 0, r
    shutil.copy(f"{key}.pub", project / "release.pub")
    (project / "tests" / "interop").mkdir(parents=True)
    (project / "tests" / "interop" / "node").symlink_to(NODE_DIR)  # where the script lives in aigate's tree
    env = clean_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    outputs = []
    for command in documented_commands():
        proc = subprocess.run(
            ["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        outputs.append(proc.stdout)
    assert "Verification succeeded" in outputs[0]
    assert '"verified":true' in outputs[1]
    checked = re.findall(r"^(\S+): OK$", outputs[2], re.MULTILINE)
    assert "decision.json" in checked and "sbom.cdx.json" in checked
