"""The GitLab CI template, run by gitlab-ci-local (shell executor) on the example projects.

The pipeline is ``examples/ci/gitlab-ci-shell-runner.yml`` exactly as documented, with one change:
its ``include: project:`` (which would fetch the template from a GitLab server) becomes
``include: local:`` of this checkout's ``.gitlab-ci-template.yml``. Signing and recording are off
through ``--variable`` (as project CI/CD variables would set them): there is no OIDC issuer here.
The example's policy data is passed the same way.

gitlab-ci-local 4.55.0 comes from ``npm ci --prefix tests/integrations/node`` and needs ``rsync``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from integration_support import ROOT, env_with_aigate, git, require_tool
from junitparser import JUnitXml

NODE = ROOT / "tests" / "integrations" / "node"
GCL = NODE / "node_modules" / ".bin" / "gitlab-ci-local"
PIPELINE = ROOT / "examples" / "ci" / "gitlab-ci-shell-runner.yml"
JOB = "aigate-shell"
# As project CI/CD variables would set them: no OIDC issuer here, and the example's policy data.
VARIABLES = ("AIGATE_SIGN=none", "AIGATE_DRY_RUN=true", "AIGATE_DATA=policy-data.yaml")


@pytest.fixture
def gitlab_ci_local() -> str:
    require_tool(shutil.which("rsync"), "rsync", "apt-get install -y rsync")
    return require_tool(str(GCL), "gitlab-ci-local 4.55.0", "npm ci --prefix tests/integrations/node")


def pipeline_for_test() -> str:
    doc = yaml.safe_load(PIPELINE.read_text())
    assert [set(i) for i in doc["include"]] == [{"project", "ref", "file"}], "the documented include changed"
    text = PIPELINE.read_text()
    start = text.index("include:\n")
    end = text.index("\n\n", start)
    return text[:start] + "include:\n  - local: .gitlab-ci-template.yml" + text[end:]


def run_pipeline(
    ws: Path, gcl: str, extra: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], Path]:
    (ws / ".gitlab-ci.yml").write_text(pipeline_for_test())
    shutil.copy(ROOT / ".gitlab-ci-template.yml", ws / ".gitlab-ci-template.yml")
    git(ws, "add", ".gitlab-ci.yml", ".gitlab-ci-template.yml")
    git(ws, "commit", "-q", "-m", "ci: aigate")
    proc = subprocess.run(
        [gcl, *(a for v in (*VARIABLES, *extra) for a in ("--variable", v)), JOB],
        cwd=ws,
        env={**env_with_aigate(), "HOME": str(ws.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc, ws / ".gitlab-ci-local" / "artifacts" / JOB / "aigate-reports"


def job_exit(proc: subprocess.CompletedProcess[str]) -> int:
    """The job's exit code as gitlab-ci-local reports it (``finished in ... FAIL <code>`` / ``PASS``)."""
    text = proc.stdout + proc.stderr
    m = re.search(rf"{JOB} finished in [^\n]*FAIL (\d+)", text)
    if m:
        return int(m.group(1))
    assert re.search(rf"^\s*PASS\s+{JOB}\s*$", text, re.M), text
    return 0


def check_reports(reports: Path) -> tuple[JUnitXml, list[dict[str, object]], dict[str, object]]:
    junit = JUnitXml.fromfile(str(reports / "aigate.junit.xml"))
    quality = json.loads((reports / "aigate.codequality.json").read_text())
    assert isinstance(quality, list)
    decision = json.loads((reports / "aigate.json").read_text())
    assert (reports / "bundle" / "index.json").is_file()
    return junit, quality, decision


def test_passing_example(workspace, gitlab_ci_local):
    proc, reports = run_pipeline(workspace("fraud-detector"), gitlab_ci_local)
    assert proc.returncode == 0 and job_exit(proc) == 0, proc.stdout + proc.stderr
    junit, quality, decision = check_reports(reports)
    assert decision["decision"] == "pass"
    assert sum(s.failures for s in junit) == 0
    assert not [q for q in quality if q["severity"] == "critical"]


def test_failing_example(workspace, gitlab_ci_local):
    proc, reports = run_pipeline(workspace("fraud-detector-failing"), gitlab_ci_local)
    assert proc.returncode != 0 and job_exit(proc) == 1, proc.stdout + proc.stderr
    # artifacts: when: always -- the reports exist although the job failed
    junit, quality, decision = check_reports(reports)
    assert decision["decision"] == "fail"
    assert sum(s.failures for s in junit) >= 1
    critical = [q for q in quality if q["severity"] == "critical"]
    assert critical and all(q["location"]["path"] for q in critical)


def test_push_uses_the_jobs_registry_credentials(workspace, gitlab_ci_local, tls_registry, tmp_path):
    """AIGATE_PUSH stores the evidence with CI_REGISTRY_USER/CI_REGISTRY_PASSWORD (a TLS registry
    with htpasswd auth on 127.0.0.1 stands in for the GitLab container registry)."""
    from aigate_cli import aigate
    from registry_support import PASSWORD, USER, pin_serving_image, push_image

    ws = workspace("fraud-detector")
    image = push_image(tls_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    pin_serving_image(ws, tls_registry, "ml/fraud-detector", image)
    key = tmp_path / "release-key"
    assert aigate("keygen", str(key)).returncode == 0
    extra = (
        "AIGATE_DRY_RUN=false",
        f"AIGATE_SIGN=key:{key}",
        f"AIGATE_PUSH=oci://{tls_registry.host}/ml/fraud-detector",
        f"AIGATE_REGISTRY_CA={tls_registry.ca}",
        f"CI_REGISTRY_USER={USER}",
        f"CI_REGISTRY_PASSWORD={PASSWORD}",
    )
    proc, _reports = run_pipeline(ws, gitlab_ci_local, extra)
    log = proc.stdout + proc.stderr
    assert "pushed the evidence to oci://" in log, log
    assert PASSWORD not in log
    env = {"AIGATE_REGISTRY_USERNAME": USER, "AIGATE_REGISTRY_PASSWORD": PASSWORD}
    v = aigate(
        "verify",
        "--image",
        f"{tls_registry.host}/ml/fraud-detector@{image}",
        "--key",
        f"{key}.pub",
        "--registry-ca",
        str(tls_registry.ca),
        env=env,
    )
    assert v.returncode == 0, v
