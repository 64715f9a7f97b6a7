"""Done-when 2 on the real CLI: 20 secrets in the environment of `aigate check` reach no bundle
file and no output format (stdout, stderr, and every --format/--output pair)."""

from __future__ import annotations

from pathlib import Path

from aigate_cli import aigate, committed_copy
from collect_secrets import FRAGMENTS, SECRET_VALUES, SECRETS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "fraud-detector"
FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "gitlab")


def test_no_secret_in_any_bundle_file_or_output_format(tmp_path: Path) -> None:
    project = committed_copy("fraud-detector", tmp_path / "repo")
    bundle = tmp_path / "bundle"
    outs = tmp_path / "out"
    outs.mkdir()
    args = ["check", "-C", str(project), "--dry-run", "--bundle-dir", str(bundle),
            "--data", str(project / "policy-data.yaml")]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(outs / f"report.{fmt}")]
    proc = aigate(*args, env=SECRETS)  # the real environment, CI variables stripped, plus the secrets
    assert proc.returncode in (0, 1), proc
    files = [p for p in bundle.rglob("*") if p.is_file()] + sorted(outs.iterdir())
    assert len(files) > len(FORMATS) + 4
    assert {"environment.json", "env-lock.json", "sbom.cdx.json", "licenses.json"} <= {p.name for p in files}
    texts = {str(p): p.read_bytes().decode("utf-8", "replace") for p in files}
    texts["<stdout>"], texts["<stderr>"] = proc.stdout, proc.stderr
    assert len(SECRET_VALUES) == 20
    for name, value in SECRETS.items():
        if name == "CI_JOB_IMAGE":
            continue  # not a secret: an image reference (allowlisted, recorded)
        needle = FRAGMENTS.get(name, value)
        leaks = [where for where, text in texts.items() if needle in text]
        assert not leaks, f"secret from {name} leaked into {leaks}"
