"""conftest-compatible user policies over Kubernetes YAML, beside the built-in controls."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from aigate_cli import EXAMPLES, aigate

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scorer
spec:
  template:
    spec:
      containers:
        - name: scorer
          image: registry.example.com/scorer:latest
          securityContext:
            runAsNonRoot: false
---
apiVersion: v1
kind: Service
metadata:
  name: scorer
"""

POLICY = """\
package main

import rego.v1

deny_run_as_root contains msg if {
  input.kind == "Deployment"
  some c in input.spec.template.spec.containers
  not c.securityContext.runAsNonRoot
  msg := sprintf("%s: container %s must not run as root", [input.metadata.name, c.name])
}

deny_latest_tag contains msg if {
  input.kind == "Deployment"
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
  msg := sprintf("%s: image %s uses the latest tag", [input.metadata.name, c.image])
}

warn contains msg if {
  input.kind == "Deployment"
  some c in input.spec.template.spec.containers
  not c.resources.limits.cpu
  msg := sprintf("%s: container %s has no CPU limit", [input.metadata.name, c.name])
}

exception contains rules if {
  input.kind == "Deployment"
  input.metadata.name == "scorer"
  rules := ["latest_tag"]
}
"""


def _project(tmp_path: Path, *, except_root: bool = False) -> Path:
    project = tmp_path / "fraud-detector"
    shutil.copytree(EXAMPLES / "fraud-detector", project)
    (project / "k8s").mkdir()
    (project / "k8s" / "deploy.yaml").write_text(DEPLOYMENT)
    (project / "policy").mkdir()
    policy = POLICY
    if except_root:
        policy = policy.replace('rules := ["latest_tag"]', 'rules := ["latest_tag", "run_as_root"]')
    (project / "policy" / "k8s.rego").write_text(policy)
    return project


def _run(project: Path, *extra: str):
    return aigate(
        "check",
        "--dry-run",
        "--fast",
        "-C",
        str(project),
        "--data",
        str(project / "policy-data.yaml"),
        "--policy",
        str(project / "policy"),
        "--input",
        str(project / "k8s" / "deploy.yaml"),
        *extra,
        cwd=project,
    )


def test_fail_warn_excp_lines_and_summary(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _run(project)
    assert run.returncode == 1, run
    lines = run.stdout.splitlines()
    src = str(project / "k8s" / "deploy.yaml")
    assert f"FAIL - {src} - main - scorer: container scorer must not run as root" in lines, run
    assert f"WARN - {src} - main - scorer: container scorer has no CPU limit" in lines, run
    assert f'EXCP - {src} - main - data.main.exception[_][_] == "latest_tag"' in lines, run
    assert not any("uses the latest tag" in ln for ln in lines), "an excepted rule must not fail"
    summary = [
        ln
        for ln in lines
        if re.fullmatch(r"\d+ tests, \d+ passed, \d+ warnings, \d+ failures, \d+ exceptions", ln)
    ]
    assert len(summary) == 1, run
    tests, passed, warnings, failures, exceptions = map(int, re.findall(r"\d+", summary[0]))
    assert failures >= 1 and warnings >= 1 and exceptions >= 1
    assert tests == passed + warnings + failures + exceptions


def test_excepting_the_failing_rule_passes(tmp_path: Path) -> None:
    project = _project(tmp_path, except_root=True)
    run = _run(project)
    assert run.returncode == 0, run
    assert 'data.main.exception[_][_] == "run_as_root"' in run.stdout
    assert "decision: PASS" in run.stdout


def test_namespaces_select_packages(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "policy" / "k8s.rego").write_text(POLICY.replace("package main", "package k8s.security"))
    run = _run(project)
    assert (
        run.returncode == 2
        and "namespace 'main' matches no policy package (packages: k8s.security)" in run.stderr
    ), run
    run = _run(project, "--namespace", "k8s.*")
    assert run.returncode == 1 and " - k8s.security - " in run.stdout, run
    run = _run(project, "--all-namespaces")
    assert run.returncode == 1 and " - k8s.security - " in run.stdout, run
