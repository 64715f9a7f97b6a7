"""The integration files validate against their schemas and pass zizmor's offline audits."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed (it is in the test extras: pip install -e '.[test]')"
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", "examples/ci/github-workflow.yml"),
        ("vendor.gitlab-ci", ".gitlab-ci-template.yml"),
    ],
)
def test_schema(schema, path):
    r = run(tool("check-jsonschema"), "--builtin-schema", schema, path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_schema_check_is_live(tmp_path):
    """A broken action fails the same check (so a pass above means something)."""
    bad = tmp_path / "action.yml"
    bad.write_text("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n")  # no shell:
    r = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(bad))
    assert r.returncode == 1


def test_zizmor_offline_finds_nothing():
    r = run(tool("zizmor"), "--offline", "action.yml", "examples/ci/github-workflow.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No findings" in r.stdout


def test_zizmor_is_live(tmp_path):
    """zizmor does flag an input interpolated into run: (what the action must never do)."""
    bad = tmp_path / "action.yml"
    bad.write_text(
        "name: x\ndescription: x\ninputs:\n  a:\n    description: a\nruns:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ inputs.a }}\n"
    )
    r = run(tool("zizmor"), "--offline", str(bad))
    assert r.returncode != 0 and "template-injection" in r.stdout


def test_pre_commit_manifest_is_valid():
    r = run(tool("pre-commit"), "validate-manifest", ".pre-commit-hooks.yaml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_inputs_reach_scripts_only_through_env():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["run"]
            assert step["run"].startswith('bash "$AIGATE_ACTION_PATH/scripts/action/'), step["run"]
            script = ROOT / step["run"].split("/scripts/action/")[1].rstrip('"')
            assert (ROOT / "scripts/action" / script.name).is_file()
        else:
            ref = step["uses"]
            _name, _, sha = ref.partition("@")
            assert len(sha) == 40 and all(c in "0123456789abcdef" for c in sha), ref


def test_action_declares_what_the_issue_asks():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["outputs"]) >= {"decision", "level-a", "level-b", "bundle-path", "bundle-digest"}
    assert set(action["inputs"]) >= {
        "project-dir",
        "manifest",
        "policy",
        "data",
        "sign",
        "formats",
        "dry-run",
        "python-version",
        "aigate-version",
    }


WORKFLOWS = ("examples/ci/github-workflow.yml", "aigate/data/templates/github-workflow.yml")


@pytest.mark.parametrize("path", WORKFLOWS)
def test_workflow_grants_least_privilege(path):
    """Permissions and full history as parsed YAML (a comment naming a permission grants nothing)."""
    wf = yaml.safe_load((ROOT / path).read_text())
    assert wf["permissions"] == {}, "the workflow default must grant nothing"
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {"contents": "read", "id-token": "write", "security-events": "write"}
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    (gate,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert gate["with"]["sign"] == "keyless"


def _doc_workflows(tmp_path: Path) -> list[Path]:
    """The GitHub workflow snippets in docs/integrations.md, written out as files for the linters."""
    text = (ROOT / "docs/integrations.md").read_text()
    out = []
    for i, block in enumerate(text.split("```yaml")[1:]):
        body = block.split("```", 1)[0]
        if "runs-on:" in body and "jobs:" in body:
            f = tmp_path / f"doc-workflow-{i}.yml"
            f.write_text(body)
            out.append(f)
    assert out, "docs/integrations.md shows no GitHub workflow"
    return out


def test_actionlint_passes_every_shipped_workflow(tmp_path):
    files = [str(ROOT / p) for p in WORKFLOWS] + [str(p) for p in _doc_workflows(tmp_path)]
    r = run(tool("actionlint"), "-no-color", *files)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_is_live(tmp_path):
    """actionlint rejects the malformed local-action reference the workflow once shipped."""
    bad = tmp_path / "wf.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: $/\n"
    )
    r = run(tool("actionlint"), "-no-color", str(bad))
    assert r.returncode == 1 and "path is missing" in r.stdout


def test_zizmor_offline_passes_every_shipped_workflow(tmp_path):
    files = [str(ROOT / p) for p in WORKFLOWS] + [str(p) for p in _doc_workflows(tmp_path)]
    r = run(tool("zizmor"), "--offline", *files)
    assert r.returncode == 0, r.stdout + r.stderr


def test_gitlab_template_shape():
    tpl = yaml.safe_load((ROOT / ".gitlab-ci-template.yml").read_text())
    hidden = tpl[".aigate"]
    assert "image" not in hidden  # extendable on shell runners and any image
    assert hidden["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert hidden["variables"]["GIT_DEPTH"] == "0"
    assert hidden["artifacts"]["when"] == "always"
    assert set(hidden["artifacts"]["reports"]) == {"junit", "codequality"}
    rules = " ".join(r["if"] for r in hidden["rules"])
    for needle in ("merge_request_event", "CI_COMMIT_TAG", "CI_DEFAULT_BRANCH"):
        assert needle in rules
    assert tpl["aigate"]["extends"] == ".aigate"


def test_pre_commit_hooks_shape():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"aigate-check", "aigate-validate", "aigate-policy-test"}
    for h in hooks.values():
        assert h["pass_filenames"] is False
        assert h["stages"] and h["minimum_pre_commit_version"]
    assert "--fast" in hooks["aigate-check"]["entry"] and "--dry-run" in hooks["aigate-check"]["entry"]
