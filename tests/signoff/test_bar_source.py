"""Where the bar comes from (issue 10, high #1), through the real CLI: the decision names the
source of its policy data, a bar read from the release's own tree warns, and a pinned file whose
bytes changed is exit 2 naming it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from aigate_cli import aigate, committed_copy


def _run(project: Path, data: str, cwd: Path) -> tuple[int, dict, str]:
    run = aigate("check", "--dry-run", "--fast", "-C", str(project), "--data", data, "--format", "json", cwd=cwd)
    return run.returncode, (json.loads(run.stdout) if run.stdout.strip() else {}), run.stderr


def test_sources_external_release_tree_and_pinned(tmp_path: Path) -> None:
    project = committed_copy("fraud-detector", tmp_path)
    inside = project / "policy-data.yaml"
    outside = tmp_path / "org-policy.yaml"
    shutil.copy(inside, outside)

    code, doc, err = _run(project, str(outside), tmp_path)
    assert code in (0, 1), err
    assert doc["policy_data_source"] == "external"
    assert doc["judged_at"] == __import__("datetime").date.today().isoformat()
    assert not [f for f in doc["findings"] if f["rule"] == "policy-data-from-release-tree"]

    code, doc, err = _run(project, str(inside), tmp_path)
    assert code in (0, 1), err
    assert doc["policy_data_source"] == "release-tree"
    warn = [f for f in doc["findings"] if f["rule"] == "policy-data-from-release-tree"]
    assert warn and warn[0]["severity"] == "warn" and "policy-data.yaml" in warn[0]["message"]

    digest = hashlib.sha256(inside.read_bytes()).hexdigest()
    code, doc, err = _run(project, f"{inside}@sha256:{digest}", tmp_path)
    assert code in (0, 1), err
    assert doc["policy_data_source"] == "pinned"

    inside.write_text(inside.read_text().replace("A: 1", "A: 0"))
    code, doc, err = _run(project, f"{inside}@sha256:{digest}", tmp_path)
    assert code == 2, err
    assert "policy-data.yaml" in err and f"not the pinned {digest}" in err
