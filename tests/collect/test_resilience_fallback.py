"""RESILIENCE through the real CLI: a declared fallback model must have its own verifying,
passing evidence bundle, of that model and version; a kill switch needs a safe-shutdown runbook.

The fallback bundles are real: ``aigate check`` recorded (not a dry run) and signed with a test key
on a committed copy of the example renamed to the fallback model. Expectations come from how each
bundle was made (a byte flipped, a failing release, another model or version), and the recorded
bundle digest is checked against ``hashlib`` over the bundle's own ``index.json``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from aigate_cli import aigate, committed_copy, git

pytestmark = pytest.mark.slow  # real recorded `aigate check` runs (~5 s each)

FALLBACK = "fraud-rules"


def _edit_manifest(project: Path, edit: Any) -> None:
    path = project / "aigate.yaml"
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _commit(project: Path, message: str) -> None:
    repo = project.parents[1]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def _record(work: Path, key: Path, label: str, model: str, version: str, *, fail: bool = False) -> Path:
    """A real recorded, signed release bundle of ``model`` ``version`` (a copy of the example)."""
    project = committed_copy("fraud-detector", work / label)

    def edit(doc: dict[str, Any]) -> None:
        doc["metadata"]["name"] = model
        doc["model"]["name"] = model
        doc["model"]["version"] = version
        if fail:  # below the policy's 180 days: IOLOG denies, the recorded decision is "fail"
            doc["monitoring"]["io_logging"]["retention_days"] = 30

    _edit_manifest(project, edit)
    sample = project / "logs" / "sample.jsonl"
    sample.write_text(sample.read_text().replace('"model_version": "1.4.0"', f'"model_version": "{version}"'))
    _commit(project, f"release {model} {version}")
    out = work / "bundles" / label
    run = aigate(
        "check", "-C", str(project), "--data", str(project / "policy-data.yaml"),
        "--sign", f"key:{key}", "--bundle-dir", str(out), "--tar",
    )  # fmt: skip
    decision = json.loads((out / "decision.json").read_text())["decision"]
    assert decision == ("fail" if fail else "pass"), run
    assert run.returncode == (1 if fail else 0), run
    return out


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("fallback")
    key = work / "test.pem"
    assert aigate("keygen", str(key)).returncode == 0
    return {
        "key": key,
        "pub": Path(f"{key}.pub"),
        "good": _record(work, key, "good", FALLBACK, "2.1.0"),
        "failing": _record(work, key, "failing", FALLBACK, "2.2.0", fail=True),
        "other-model": _record(work, key, "other-model", "fraud-detector", "1.3.2"),
    }


def _project(tmp_path: Path, fallback: dict[str, Any] | None, bundle: Path | None = None) -> Path:
    """The passing example declaring ``fallback``; ``bundle`` is copied to releases/fallback."""
    project = committed_copy("fraud-detector", tmp_path / "release")
    if bundle is not None:
        dest = project / "releases" / ("fallback.tar.gz" if bundle.is_file() else "fallback")
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copy2 if bundle.is_file() else shutil.copytree)(bundle, dest)

    def edit(doc: dict[str, Any]) -> None:
        if fallback is not None:
            doc["resilience"]["fallback"] = fallback

    _edit_manifest(project, edit)
    _commit(project, "declare the fallback")
    return project


def _check(project: Path, *extra: str, bundle_dir: Path | None = None) -> tuple[list[dict], dict]:
    args = ["check", "--dry-run", "-C", str(project), "--data", str(project / "policy-data.yaml")]
    if bundle_dir is not None:
        args += ["--bundle-dir", str(bundle_dir)]
    run = aigate(*args, *extra, "--format", "json")
    assert run.returncode in (0, 1), run
    doc = json.loads(run.stdout)
    findings = [f for f in doc["findings"] if f["control"] == "RESILIENCE"]
    history: dict = {}
    if bundle_dir is not None:
        history = json.loads((bundle_dir / "input.json").read_text()).get("history") or {}
    return findings, history


def _denies(findings: list[dict]) -> set[str]:
    return {f["rule"] for f in findings if f["severity"] == "deny"}


def _index_digest(bundle: Path) -> str:
    if bundle.is_dir():
        data = (bundle / "index.json").read_bytes()
    else:
        with tarfile.open(bundle) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("index.json"))
            handle = tar.extractfile(member)
            assert handle is not None
            data = handle.read()
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("archive", [False, True], ids=["directory", "tar.gz"])
def test_fallback_with_a_real_passing_bundle_passes_on_evidence(releases, tmp_path, archive):
    bundle = Path(f"{releases['good']}.tar.gz") if archive else releases["good"]
    rel = "releases/fallback.tar.gz" if archive else "releases/fallback"
    project = _project(tmp_path, {"model": FALLBACK, "version": "2.1.0", "bundle": rel}, bundle)
    findings, history = _check(project, "--verify-key", str(releases["pub"]), bundle_dir=tmp_path / "out")
    assert [(f["severity"], f["basis"]) for f in findings] == [("pass", "evidence")], findings
    fb = history["fallback"]
    assert fb["found"] and fb["verified"] and fb["passed"] and fb["model_matches"] and fb["version_matches"]
    assert (fb["model"], fb["version"]) == (FALLBACK, "2.1.0")
    assert fb["bundle_digest"] == _index_digest(bundle)


def test_tampered_fallback_bundle_is_denied(releases, tmp_path):
    project = _project(
        tmp_path, {"model": FALLBACK, "version": "2.1.0", "bundle": "releases/fallback"}, releases["good"]
    )
    target = project / "releases" / "fallback" / "decision.json"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    target.write_bytes(bytes(data))
    _commit(project, "tamper")
    findings, history = _check(project, "--verify-key", str(releases["pub"]), bundle_dir=tmp_path / "out")
    assert "fallback-bundle-not-verified" in _denies(findings), findings
    assert history["fallback"]["found"] is True and history["fallback"]["verified"] is False
    assert "decision.json" in history["fallback"]["reason"]


def test_fallback_bundle_that_recorded_a_failing_decision_is_denied(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "2.2.0", "bundle": "releases/fallback"}
    findings, _ = _check(
        _project(tmp_path, fallback, releases["failing"]), "--verify-key", str(releases["pub"])
    )
    assert _denies(findings) == {"fallback-bundle-not-passed"}, findings


def test_bundle_of_another_model_is_denied(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "1.3.2", "bundle": "releases/fallback"}
    findings, _ = _check(
        _project(tmp_path, fallback, releases["other-model"]), "--verify-key", str(releases["pub"])
    )
    assert _denies(findings) == {"fallback-bundle-wrong-model"}, findings
    msg = next(f["message"] for f in findings if f["rule"] == "fallback-bundle-wrong-model")
    assert "fraud-detector" in msg and FALLBACK in msg


def test_bundle_of_another_version_is_denied(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "2.0.0", "bundle": "releases/fallback"}
    findings, _ = _check(_project(tmp_path, fallback, releases["good"]), "--verify-key", str(releases["pub"]))
    assert _denies(findings) == {"fallback-bundle-wrong-version"}, findings
    msg = next(f["message"] for f in findings if f["rule"] == "fallback-bundle-wrong-version")
    assert "2.1.0" in msg and "2.0.0" in msg


def test_fallback_without_any_bundle_is_denied_not_found(releases, tmp_path):
    findings, _ = _check(
        _project(tmp_path, {"model": FALLBACK, "version": "2.1.0"}), "--verify-key", str(releases["pub"])
    )
    assert "fallback-bundle-not-found" in _denies(findings), findings


def test_declared_fallback_bundle_that_does_not_exist_is_denied(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "2.1.0", "bundle": "releases/nowhere"}
    findings, _ = _check(_project(tmp_path, fallback), "--verify-key", str(releases["pub"]))
    assert {"resilience-file-missing", "fallback-bundle-not-found"} <= _denies(findings), findings


def test_fallback_bundle_unverifiable_without_trust_is_denied(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "2.1.0", "bundle": "releases/fallback"}
    findings, _ = _check(_project(tmp_path, fallback, releases["good"]))  # no --verify-key
    assert "fallback-bundle-not-verified" in _denies(findings), findings


def test_fallback_bundle_signed_by_another_key_is_denied(releases, tmp_path):
    other = tmp_path / "other.pem"
    assert aigate("keygen", str(other)).returncode == 0
    fallback = {"model": FALLBACK, "version": "2.1.0", "bundle": "releases/fallback"}
    findings, _ = _check(_project(tmp_path, fallback, releases["good"]), "--verify-key", f"{other}.pub")
    assert "fallback-bundle-not-verified" in _denies(findings), findings


def test_fallback_found_in_the_bundle_store_by_model_and_version(releases, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    for name in ("good", "failing"):
        shutil.copytree(releases[name], store / f"{FALLBACK}-{name}")
    project = _project(tmp_path, {"model": FALLBACK, "version": "2.1.0"})
    findings, history = _check(
        project, "--verify-key", str(releases["pub"]), "--bundles", str(store), bundle_dir=tmp_path / "out"
    )
    assert not _denies(findings), findings
    fb = history["fallback"]
    assert fb["bundle"].endswith(f"{FALLBACK}-good") and fb["passed"] and fb["version"] == "2.1.0"
    # the store holds only the failing 2.2.0 of that version: found, verified, denied as failing
    findings, _ = _check(
        _project(tmp_path / "b", {"model": FALLBACK, "version": "2.2.0"}),
        "--verify-key", str(releases["pub"]), "--bundles", str(store),
    )  # fmt: skip
    assert _denies(findings) == {"fallback-bundle-not-passed"}, findings


def test_fast_path_cannot_claim_fallback_evidence(releases, tmp_path):
    fallback = {"model": FALLBACK, "version": "2.1.0", "bundle": "releases/fallback"}
    project = _project(tmp_path, fallback, releases["good"])
    findings, _ = _check(project, "--fast", "--verify-key", str(releases["pub"]))
    assert findings and all(f["basis"] == "declared" and not f["evidence"] for f in findings), findings


# --- kill switch: the safe-shutdown runbook -------------------------------------------------


def _kill_switch_project(tmp_path: Path, runbook: str | None, text: str | None) -> Path:
    project = committed_copy("fraud-detector", tmp_path / "ks")
    if text is not None and runbook is not None:
        (project / runbook).write_text(text)
    elif runbook is not None and (project / runbook).exists():
        (project / runbook).unlink()

    def edit(doc: dict[str, Any]) -> None:
        if runbook is None:
            doc["resilience"]["kill_switch"].pop("runbook", None)
        else:
            doc["resilience"]["kill_switch"]["runbook"] = runbook

    _edit_manifest(project, edit)
    _commit(project, "kill switch runbook")
    return project


def test_example_kill_switch_with_its_safe_shutdown_runbook_passes(tmp_path):
    project = committed_copy("fraud-detector", tmp_path / "ks")
    doc = yaml.safe_load((project / "aigate.yaml").read_text())
    runbook = doc["resilience"]["kill_switch"]["runbook"]
    assert (project / runbook).stat().st_size >= 200
    findings, _ = _check(project)
    assert [f["severity"] for f in findings] == ["pass"], findings


def test_kill_switch_without_a_runbook_is_denied(tmp_path):
    findings, _ = _check(_kill_switch_project(tmp_path, None, None))
    assert _denies(findings) == {"no-kill-switch-runbook"}, findings


def test_kill_switch_runbook_that_does_not_exist_is_denied(tmp_path):
    findings, _ = _check(_kill_switch_project(tmp_path, "runbooks/safe-shutdown.md", None))
    assert "resilience-file-missing" in _denies(findings), findings


def test_kill_switch_runbook_stub_is_denied(tmp_path):
    findings, _ = _check(_kill_switch_project(tmp_path, "runbooks/safe-shutdown.md", "# TODO\n"))
    assert _denies(findings) == {"kill-switch-runbook-empty"}, findings
