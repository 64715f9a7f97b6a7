"""Issue 10, Done-when 2: 20 realistic secrets placed in the environment, in the manifest, in every
file the manifest references (metrics, drift report, alert rules, compliance-document headings),
in package metadata (a fake installed distribution in a real venv passed with ``--python``) and
in the CI job URL reach no bundle file, no ``.tar.gz`` and no output format (byte search).

The secrets are the fixed set of ``tests/collect/collect_secrets.py``; every one of the 20 is
searched for in every place (none is skipped by what the redactor happens to detect). Secrets with
no recognisable shape (an AWS secret key, a password, a 40-hex API key) are planted under their
names, as they appear in real files; shaped tokens are also planted bare, in prose.

Seen failing on main before the redaction pass (e0c8cab): the manifest copy, input.json, the
metrics/drift/alert files, the compliance headings, env-lock.json, the SBOM, the license texts
and every report format carried them verbatim.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy, git

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collect"))
from collect_secrets import FRAGMENTS, SECRETS

FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "gitlab")
PLANTED = {k: v for k, v in SECRETS.items() if k != "CI_JOB_IMAGE"}  # CI_JOB_IMAGE: harmless
assert len(PLANTED) == 20
SHAPED = [v for k, v in PLANTED.items() if "\n" not in v and k not in (
    "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_PASSWORD", "WANDB_API_KEY"
)]  # fmt: skip


def _named_lines(fmt: str) -> str:
    """Every planted secret under its own name, in the syntax of one file kind."""
    out = []
    for name, value in PLANTED.items():
        if fmt == "comment":
            out.extend(f"# {line}" for line in f"{name}={value}".splitlines())
        elif fmt == "env":
            out.append(f"{name.lower()}={json.dumps(value)[1:-1]}")
    return "\n".join(out) + "\n"


def _needle(name: str) -> str:
    return FRAGMENTS.get(name, PLANTED[name])


def _plant_project(project: Path) -> None:
    manifest = project / "aigate.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "description: Scores card transactions for fraud before authorisation.",
        "description: " + json.dumps("Scores transactions; deploy keys " + " ".join(SHAPED)),
    )
    manifest.write_text(_named_lines("comment") + text, encoding="utf-8")
    metrics_path = project / "reports" / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["notes"] = {name.lower(): value for name, value in PLANTED.items()}
    metrics_path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    drift_path = project / "reports" / "drift.json"
    drift = json.loads(drift_path.read_text(encoding="utf-8"))
    drift["reference_uri"] = "https://ml:" + PLANTED["MLFLOW_TRACKING_PASSWORD"] + "@mlflow.internal/runs/1"
    drift["credentials"] = {name.lower(): value for name, value in PLANTED.items()}
    drift_path.write_text(json.dumps(drift, indent=2), encoding="utf-8")
    alerts = project / "monitoring" / "alerts.yaml"
    alerts.write_text(_named_lines("comment") + alerts.read_text(encoding="utf-8"), encoding="utf-8")
    doc = project / "docs" / "technical-documentation.md"
    headings = "".join(f"\n## Access for {v}\n" for v in SHAPED)
    headings += "".join(
        f"\n## {name.lower()}: {value}\n" for name, value in PLANTED.items() if "\n" not in value
    )
    doc.write_text(doc.read_text(encoding="utf-8") + headings, encoding="utf-8")


def _fake_venv(where: Path) -> Path:
    """A real venv (``python -m venv``) with one installed distribution whose metadata leaks."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next(where.glob("lib/python*/site-packages"))
    info = site / "leaky_client-1.0.dist-info"
    info.mkdir()
    summary = "Client; tokens " + " ".join(SHAPED)
    (info / "METADATA").write_text(
        textwrap.dedent(
            f"""\
            Metadata-Version: 2.1
            Name: leaky-client
            Version: 1.0
            Summary: {summary}
            Home-page: https://__token__:{PLANTED["PIP_INDEX_URL"].split(":")[2].split("@")[0]}@pypi.internal/leaky
            Author-email: Dev <dev@example.com>
            License: MIT
            Project-URL: Source, {PLANTED["DATABASE_URL"]}

            """
        ),
        encoding="utf-8",
    )
    (info / "LICENSE").write_text("MIT License\n\n" + _named_lines("env"), encoding="utf-8")
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    (info / "WHEEL").write_text(
        "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n", encoding="utf-8"
    )
    (info / "direct_url.json").write_text(
        json.dumps(
            {"url": PLANTED["PIP_INDEX_URL"] + "/leaky_client-1.0-py3-none-any.whl", "archive_info": {}}
        ),
        encoding="utf-8",
    )
    (info / "RECORD").write_text("leaky_client-1.0.dist-info/METADATA,,\n", encoding="utf-8")
    return where


CI_ENVS = {
    "github": {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://x-access-token:" + PLANTED["GITHUB_TOKEN"] + "@github.com",
        "GITHUB_REPOSITORY": "acme/fraud",
        "GITHUB_RUN_ID": "42",
    },
    "gitlab": {
        "GITLAB_CI": "true",
        "CI_JOB_URL": "https://gitlab-ci-token:"
        + PLANTED["GITLAB_TOKEN"]
        + "@gitlab.example.com/acme/fraud/-/jobs/7",
        "CI_PIPELINE_ID": "7",
    },
}


@pytest.mark.parametrize("ci", sorted(CI_ENVS))
def test_twenty_secrets_reach_no_bundle_file_and_no_output(tmp_path: Path, ci: str) -> None:
    project = committed_copy("fraud-detector", tmp_path / "repo")
    _plant_project(project)
    git(tmp_path / "repo", "commit", "-qam", "release with leaky evidence")
    venv = _fake_venv(tmp_path / "venv")
    bundle, outs = tmp_path / "bundle", tmp_path / "out"
    outs.mkdir()
    args = ["check", "-C", str(project), "--dry-run", "--bundle-dir", str(bundle), "--tar",
            "--data", str(project / "policy-data.yaml"), "--python", str(venv)]  # fmt: skip
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(outs / f"report.{fmt}")]
    proc = aigate(*args, env={**SECRETS, **CI_ENVS[ci]})
    assert proc.returncode in (0, 1), proc
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    names = {p.relative_to(bundle).as_posix() for p in files}
    # the planted evidence really reached the bundle (redacted), so the search is not vacuous
    assert {"manifest.yaml", "input.json", "env-lock.json", "sbom.cdx.json", "licenses.json"} <= names
    assert any(n.startswith("licenses/leaky-client") for n in names), sorted(names)
    blobs = {str(p): p.read_bytes() for p in files + sorted(outs.iterdir())}
    tar_path = bundle.with_name(bundle.name + ".tar.gz")
    blobs[str(tar_path)] = tar_path.read_bytes()
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            fh = tar.extractfile(member)
            assert fh is not None
            blobs[f"{tar_path}!{member.name}"] = fh.read()
    blobs["<stdout>"], blobs["<stderr>"] = proc.stdout.encode(), proc.stderr.encode()
    for name in PLANTED:  # all 20, always
        needle = _needle(name).encode()
        leaks = [where for where, data in blobs.items() if needle in data]
        assert not leaks, f"secret {name} leaked into {leaks}"
    decision = json.loads((bundle / "decision.json").read_bytes())
    assert decision["redactions"]["count"] >= 20
    redacted = set(decision["redactions"]["files"])
    assert {"manifest.yaml", "input.json", "env-lock.json", "sbom.cdx.json"} <= redacted, redacted
    assert any(n.startswith("licenses/leaky-client") for n in redacted), redacted
    index = json.loads((bundle / "index.json").read_bytes())
    entry = index["files"]["manifest.yaml"]
    assert entry["redacted"] is True and entry["original_sha256"] != entry["sha256"]
    # the original's digest is the one the decision's inputs recorded (what the collectors read)
    assert decision["inputs"]["manifest.yaml"] == "sha256:" + entry["original_sha256"]
    verified = aigate("verify", str(bundle), "--unsafe-allow-unsigned", "--artifacts", str(project))
    assert verified.returncode == 0, verified
    verified_tar = aigate("verify", str(tar_path), "--unsafe-allow-unsigned")
    assert verified_tar.returncode == 0, verified_tar


def test_opa_url_credentials_are_not_printed(tmp_path: Path) -> None:
    """``--opa-url https://user:pass@...`` of an unreachable server: the error line omits the password."""
    project = committed_copy("fraud-detector", tmp_path / "repo")
    password = PLANTED["MLFLOW_TRACKING_PASSWORD"]
    url = f"https://gate:{password}@127.0.0.1:9/"  # port 9 (discard): nothing listens, fails fast
    proc = aigate("check", "-C", str(project), "--dry-run", "--engine", "opa", "--opa-url", url, "--verbose")
    assert proc.returncode in (2, 3), proc
    assert password not in proc.stdout + proc.stderr, proc
    assert "127.0.0.1" in proc.stderr, proc
