"""OPA's Go engine in-process, through the real CLI on a copy of the example.

Attacks: the conftest ``:latest`` idiom regopy never enumerates must deny; a deny rule that
raises at runtime must be exit 3 naming the rule (never "no violation"), on every engine; a user
policy must not read the environment through ``opa.runtime()`` nor call ``http.send``; a policy
that runs past ``limits.eval_seconds`` is exit 3 naming the package.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from aigate_cli import EXAMPLES, aigate

from aigate.policy import opago

CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not opago.available():
    if CI:
        pytest.fail("OPA's Go engine wheel (opa_bindings) is not installed; CI must install it", pytrace=False)
    pytest.skip("OPA's Go engine wheel is not installed (outside CI only)", allow_module_level=True)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: scorer}
spec:
  template:
    spec:
      containers:
        - {name: a, image: "registry.example.com/a:1.0"}
        - {name: b, image: "registry.example.com/b:latest"}
"""

LATEST = """\
package main

deny contains msg if {
  some i
  endswith(input.spec.template.spec.containers[i].image, ":latest")
  msg := sprintf("container %d uses :latest", [i])
}
"""


def _project(tmp_path: Path, policy: str) -> Path:
    project = tmp_path / "fraud-detector"
    shutil.copytree(EXAMPLES / "fraud-detector", project)
    (project / "deploy.yaml").write_text(DEPLOYMENT)
    (project / "policy").mkdir()
    (project / "policy" / "p.rego").write_text(policy)
    return project


def _check(project: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return aigate(
        "check", "--dry-run", "--fast", "-C", str(project), "--policy", str(project / "policy"),
        "--input", str(project / "deploy.yaml"), *extra, env=env,
    )


def test_latest_idiom_denies_on_opa_go(tmp_path: Path) -> None:
    run = _check(_project(tmp_path, LATEST), "--engine", "opa-go", "--format", "json")
    assert run.returncode == 1, run
    out = json.loads(run.stdout)
    assert out["decision"] == "fail"
    assert any("container 1 uses :latest" in f["message"] for f in out["findings"]), run


def test_the_decision_names_the_engine(tmp_path: Path) -> None:
    run = _check(_project(tmp_path, LATEST), "--engine", "opa-go", "--no-cross-check")
    assert "engine: opa-go" in run.stdout, run


@pytest.mark.parametrize("engine", ["opa-go", "regopy"])
@pytest.mark.parametrize(
    "body", ["x := 1 / count([]); x > 0", 'to_number("x") > 0', 'y := input.kind + 1; y > 0']
)
def test_a_deny_rule_that_errors_is_exit_3_naming_the_rule(tmp_path: Path, engine: str, body: str) -> None:
    policy = f"package main\n\ndeny contains \"boom\" if {{\n  {body}\n}}\n"
    run = _check(_project(tmp_path, policy), "--engine", engine, "--no-cross-check")
    assert run.returncode == 3, run
    assert "main.deny" in run.stderr, run


@pytest.mark.parametrize("engine", ["opa-go", "regopy"])
def test_opa_runtime_shows_no_environment(tmp_path: Path, engine: str) -> None:
    policy = 'package main\n\ndeny contains sprintf("env %v", [k]) if {\n  some k, _ in opa.runtime().env\n}\n'
    project = _project(tmp_path, policy)
    run = _check(project, "--engine", engine, "--no-cross-check", env={"AIGATE_TEST_SECRET": "s3cr3t-value"})
    assert run.returncode == 0, run
    assert "AIGATE_TEST_SECRET" not in run.stdout + run.stderr


@pytest.mark.parametrize("call", ['http.send({"method": "get", "url": "http://127.0.0.1:9"})',
                                  'http["send"]({"method": "get", "url": "http://127.0.0.1:9"})'])
def test_http_send_is_refused(tmp_path: Path, call: str) -> None:
    policy = f"package main\n\ndeny contains \"net\" if {{\n  r := {call}\n  r.status_code == 200\n}}\n"
    run = _check(_project(tmp_path, policy), "--engine", "opa-go", "--no-cross-check")
    assert run.returncode == 2, run
    assert "http.send" in run.stderr and "p.rego" in run.stderr, run


def test_a_policy_past_the_deadline_is_exit_3(tmp_path: Path) -> None:
    project = _project(tmp_path, 'package main\n\ndeny contains "slow" if {\n  count([x | some x in numbers.range(1, 200000000)]) == 0\n}\n')
    data = project / "limits.yaml"
    data.write_text("limits:\n  eval_seconds: 1\n")
    run = _check(project, "--engine", "opa-go", "--no-cross-check", "--data", str(data))
    assert run.returncode == 3, run
    assert "package main" in run.stderr and "longer than 1 s" in run.stderr, run
