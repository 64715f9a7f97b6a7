"""The composite action's steps, run in order in a simulated runner against the example projects.

``actions_runner.run_action`` executes every ``run:`` step of action.yml for real (bash, the
scripts in scripts/action/, this checkout's aigate) with the runner's files and variables, and
stands in for the three pinned third-party actions (see ``actions_runner.STAND_INS``: no network).
aigate is not pip-installed by the action here (``install: false``, this checkout's aigate is on
PATH): installing would download from PyPI.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from actions_runner import run_action
from integration_support import ROOT, env_with_aigate

# The example's policy data sits in the project (a real organisation keeps it elsewhere).
INPUTS = {
    "install": "false",
    "sign": "none",
    "dry-run": "true",
    "upload-sarif": "true",
    "data": "policy-data.yaml",
}


def _run(ws: Path, tmp_path: Path, **extra: str):
    return run_action(ROOT, ws, tmp_path / "runner", {**INPUTS, **extra}, env=env_with_aigate())


def test_passing_example(workspace, tmp_path):
    ws = workspace("fraud-detector")
    run = _run(ws, tmp_path)
    assert not run.failed, run.log()
    out = run.outputs
    assert out["decision"] == "pass" and out["exit-code"] == "0", run.log()
    assert int(out["level-a"]) >= 1 and int(out["level-b"]) >= 1
    # the bundle digest is the sha256 of the bundle's index.json
    index = Path(out["bundle-path"]) / "index.json"
    assert out["bundle-digest"] == "sha256:" + hashlib.sha256(index.read_bytes()).hexdigest()
    # the job summary is the markdown report
    assert run.summary.startswith("## ✅ aigate: **pass**")
    assert "### Maturity" in run.summary
    # uploads: the report directory with the bundle; the SARIF file
    art = run.artifacts / "aigate-evidence"
    assert (art / "bundle" / "index.json").is_file()
    assert {"aigate.md", "aigate.json", "aigate.sarif"} <= {p.name for p in art.iterdir()}
    assert [u["category"] for u in run.sarif_uploads] == ["aigate"]
    # annotations (the github format) went to the log of the gate step
    gate_log = run.step("Run the gate").stdout
    assert "::group::aigate pass" in gate_log
    # the environment inspected is the job's python3 (found first on PATH), not aigate's own venv
    job_python = run.step("Locate the job's Python").outputs["python"]
    assert job_python and f"--python {job_python}" in gate_log
    assert run.step("Gate verdict").outcome == "success"


def test_failing_example(workspace, tmp_path):
    ws = workspace("fraud-detector-failing")
    run = _run(ws, tmp_path)
    out = run.outputs
    assert out["decision"] == "fail" and out["exit-code"] == "1", run.log()
    # the gate step records, the verdict step fails the job, uploads still happen
    assert run.step("Run the gate").outcome == "success"
    assert run.step("Gate verdict").outcome == "failure"
    assert "the gate denied this release" in run.step("Gate verdict").stdout
    assert run.summary.startswith("## ❌ aigate: **fail**")
    assert (run.artifacts / "aigate-evidence" / "aigate.md").is_file()
    sarif = run.sarif_uploads[0]["log"]["runs"][0]
    errors = [r for r in sarif["results"] if r["level"] == "error"]
    assert errors, "a failing gate has blocking results in SARIF"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in errors}
    assert "aigate.yaml" in uris  # located at the manifest, relative to the workspace
    gate_log = run.step("Run the gate").stdout
    assert "::error file=aigate.yaml,line=" in gate_log


def test_input_error_is_not_a_pass(workspace, tmp_path):
    """A project without a manifest: aigate exits 2, the decision is `error`, the job fails."""
    ws = workspace("fraud-detector")
    (ws / "aigate.yaml").unlink()
    run = _run(ws, tmp_path, **{"upload-sarif": "false"})
    assert run.outputs["decision"] == "error" and run.outputs["exit-code"] == "2", run.log()
    assert run.outputs["bundle-digest"] == ""
    assert run.step("Gate verdict").outcome == "failure"
    assert "aigate: **error** (exit 2)" in run.summary
    assert run.step("Upload SARIF to code scanning").outcome == "skipped"


def test_bad_input_value_fails_before_running(workspace, tmp_path):
    ws = workspace("fraud-detector")
    run = _run(ws, tmp_path, formats="github pdf")
    assert run.step("Run the gate").outcome == "failure"
    assert "unknown format 'pdf'" in run.step("Run the gate").stdout
    assert run.step("Gate verdict").outcome == "failure"


def test_extra_formats_and_report_dir(workspace, tmp_path):
    ws = workspace("fraud-detector")
    report_dir = tmp_path / "reports"
    extra = {"report-dir": str(report_dir), "upload-sarif": "false"}
    run = _run(ws, tmp_path, formats="junit gitlab", **extra)
    assert run.outputs["decision"] == "pass", run.log()
    assert (report_dir / "aigate.junit.xml").is_file()
    assert isinstance(json.loads((report_dir / "aigate.codequality.json").read_text()), list)
    assert "::group::" not in run.step("Run the gate").stdout  # no github format: no annotations


def test_push_stores_the_evidence_beside_the_image(workspace, tmp_path, tls_registry):
    """`push:` with registry credentials (a TLS registry with htpasswd auth on 127.0.0.1 stands in
    for GHCR); the evidence is then found among the image's referrers and verifies."""
    from aigate_cli import aigate
    from registry_support import PASSWORD, USER, pin_serving_image, push_image

    ws = workspace("fraud-detector")
    image = push_image(tls_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    pin_serving_image(ws, tls_registry, "ml/fraud-detector", image)
    key = tmp_path / "release-key"
    assert aigate("keygen", str(key)).returncode == 0
    env = {**env_with_aigate(), "AIGATE_REGISTRY_CA": str(tls_registry.ca)}
    run = run_action(
        ROOT,
        ws,
        tmp_path / "runner",
        {
            **INPUTS,
            "dry-run": "false",
            "sign": f"key:{key}",
            "push": f"oci://{tls_registry.host}/ml/fraud-detector",
            "registry-username": USER,
            "registry-password": PASSWORD,
        },
        env=env,
    )
    gate_log = run.step("Run the gate").stdout + run.step("Run the gate").stderr
    assert "pushed the evidence to oci://" in gate_log, run.log()
    assert PASSWORD not in run.log()
    v = aigate(
        "verify",
        "--image",
        f"{tls_registry.host}/ml/fraud-detector@{image}",
        "--key",
        f"{key}.pub",
        "--registry-ca",
        str(tls_registry.ca),
        env={"AIGATE_REGISTRY_USERNAME": USER, "AIGATE_REGISTRY_PASSWORD": PASSWORD},
    )
    assert v.returncode == 0, v
