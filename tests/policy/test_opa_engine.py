"""``--engine opa``: the same decision as the embedded engine, through a real HTTP exchange.

The peer is ``OpaStandIn`` on 127.0.0.1, standing in for an organisation's central OPA server.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

from aigate_cli import aigate

from policy.opa_standin import OpaStandIn

BASE = Path(__file__).resolve().parents[1] / "cases" / "_base"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(BASE, project)
    (project / "policy").mkdir()
    (project / "policy" / "k8s.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'deny contains msg if { input.kind == "Deployment"\n'
        "  not input.spec.template.spec.securityContext.runAsNonRoot\n"
        '  msg := sprintf("%s must run as non-root", [input.metadata.name]) }\n'
    )
    (project / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: scorer\nspec:\n  template:\n    spec: {}\n"
    )
    return project


def _decision(run_stdout: str) -> dict:
    doc = json.loads(run_stdout)
    return {
        "decision": doc["decision"],
        "maturity": doc["maturity"],
        "findings": sorted(json.dumps(f, sort_keys=True) for f in doc["findings"]),
    }


def test_opa_engine_matches_embedded(tmp_path: Path) -> None:
    project = _project(tmp_path)
    args = [
        "check",
        "--dry-run",
        "--fast",
        "--policy",
        "policy",
        "--input",
        "deploy.yaml",
        "--format",
        "json",
    ]
    embedded = aigate(*args, cwd=project)
    assert embedded.returncode == 1, embedded
    with OpaStandIn() as opa:
        remote = aigate(*args, "--engine", "opa", "--opa-url", opa.url, cwd=project)
        uploaded = [p for m, p in opa.requests if m == "PUT" and p.startswith("/v1/policies/")]
        queried = [p for m, p in opa.requests if m == "POST"]
        deleted = [p for m, p in opa.requests if m == "DELETE"]
    assert remote.returncode == 1, remote
    assert _decision(remote.stdout) == _decision(embedded.stdout)
    assert any(p.endswith("policy/k8s.rego") for p in uploaded)
    assert "/v1/data/aigate/controls" in queried and "/v1/data/main" in queried
    assert sorted(deleted) == sorted(uploaded), "the engine must remove the policies it uploaded"
    assert any("scorer must run as non-root" in f for f in _decision(remote.stdout)["findings"])


def test_opa_server_unreachable_exits_3(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = aigate(
        "check",
        "--dry-run",
        "--fast",
        "--engine",
        "opa",
        "--opa-url",
        f"http://127.0.0.1:{port}",
        cwd=project,
    )
    assert run.returncode == 3, run
    assert run.stderr.startswith(f"aigate: error: OPA server http://127.0.0.1:{port}: unreachable"), run
    assert len(run.stderr.strip().splitlines()) == 1, run


def test_opa_compile_error_exits_2_with_position(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "policy" / "broken.rego").write_text(
        "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := input.x +\n}\n"
    )
    with OpaStandIn() as opa:
        run = aigate(
            "check",
            "--dry-run",
            "--fast",
            "--policy",
            "policy",
            "--engine",
            "opa",
            "--opa-url",
            opa.url,
            cwd=project,
        )
    assert run.returncode == 2, run
    assert "policy/broken.rego:5:14: policy does not compile: unexpected eof token" in run.stderr, run


def test_opa_engine_needs_url(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = aigate("check", "--dry-run", "--fast", "--engine", "opa", cwd=project)
    assert run.returncode == 2, run
    assert "--engine opa needs --opa-url" in run.stderr
