"""The decision chain (``aigate audit verify``) and the rollback target (``aigate rollback``)
over a store of three real releases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aigate.bundle.chain import rollback_target, verify_chain
from aigate.bundle.verify import Trust
from aigate.errors import VerificationFailure

DAY = 86_400


@pytest.fixture
def store(tmp_path, new_project, make_bundle) -> Path:
    """releases/1.0.0 (pass) ← 1.1.0 (pass) ← 1.2.0 (pass): each records its predecessor's decision."""
    s = tmp_path / "releases"
    prev = None
    for i, version in enumerate(("1.0.0", "1.1.0", "1.2.0")):
        proj = new_project(tmp_path / f"p{i}", version.encode())
        res = make_bundle(s / version, proj, version=version, previous=prev, evidence=1_767_225_600 + i * DAY)
        prev = res.decision_digest
    return s


def test_three_releases_chain_verifies(store, keypair, aigate):
    proc = aigate("audit", "verify", "--bundles", store, "--key", keypair[1], "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["length"] == 3
    assert [r["version"] for r in doc["releases"]] == ["1.0.0", "1.1.0", "1.2.0"]
    assert doc["releases"][1]["previous_decision_digest"] == doc["releases"][0]["decision_digest"]
    text = aigate("audit", "verify", "--bundles", store, "--key", keypair[1])
    assert text.returncode == 0 and "3 release(s)" in text.stdout


def test_replaced_middle_bundle_is_detected(store, tmp_path, new_project, make_bundle, keypair, aigate):
    # a validly signed bundle for 1.1.0, but a different decision: what an attacker with the key would do
    shutil.rmtree(store / "1.1.0")
    first = json.loads((store / "1.0.0" / "index.json").read_bytes())["decision_digest"]
    make_bundle(
        store / "1.1.0",
        new_project(tmp_path / "evil", b"evil"),
        version="1.1.0",
        previous=first,
        evidence=1_767_225_600 + DAY,
    )
    proc = aigate("audit", "verify", "--bundles", store, "--key", keypair[1])
    assert proc.returncode == 1
    assert "1.2.0" in proc.stderr and "gap" in proc.stderr and "replaced" in proc.stderr


def test_tampered_middle_bundle_fails_its_signature(store, keypair, aigate):
    decision = store / "1.1.0" / "decision.json"
    decision.write_bytes(decision.read_bytes().replace(b'"pass"', b'"PASS"'))
    proc = aigate("audit", "verify", "--bundles", store, "--key", keypair[1])
    assert proc.returncode == 1 and "1.1.0" in proc.stderr and "does not verify" in proc.stderr
    proc = aigate("audit", "verify", "--bundles", store, "--key", keypair[1], "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["verified"] is False


def test_removed_middle_bundle_is_a_gap(store, keypair):
    shutil.rmtree(store / "1.1.0")
    with pytest.raises(VerificationFailure, match="gap"):
        verify_chain(store, Trust(key=keypair[1]))


def test_reorder_is_detected(tmp_path, new_project, make_bundle, keypair):
    s = tmp_path / "s"
    a = make_bundle(s / "a", new_project(tmp_path / "pa", b"a"), version="1.0.0", evidence=1_767_225_600)
    make_bundle(
        s / "b",
        new_project(tmp_path / "pb", b"b"),
        version="1.1.0",
        previous=a.decision_digest,
        evidence=1_700_000_000,
    )
    with pytest.raises(VerificationFailure, match="reorder"):
        verify_chain(s, Trust(key=keypair[1]))


def test_fork_is_detected(tmp_path, new_project, make_bundle, keypair):
    s = tmp_path / "s"
    a = make_bundle(s / "a", new_project(tmp_path / "pa", b"a"), version="1.0.0")
    for name in ("b", "c"):
        make_bundle(
            s / name,
            new_project(tmp_path / f"p{name}", name.encode()),
            version=f"1.1.{name}",
            previous=a.decision_digest,
            evidence=1_767_225_600 + DAY,
        )
    with pytest.raises(VerificationFailure, match="fork"):
        verify_chain(s, Trust(key=keypair[1]))


def test_two_first_releases_are_a_gap(tmp_path, new_project, make_bundle, keypair):
    s = tmp_path / "s"
    make_bundle(s / "a", new_project(tmp_path / "pa", b"a"), version="1.0.0")
    make_bundle(s / "b", new_project(tmp_path / "pb", b"b"), version="1.1.0")
    with pytest.raises(VerificationFailure, match="2 bundles claim to be the first"):
        verify_chain(s, Trust(key=keypair[1]))


def test_archives_and_crash_leftovers_in_the_store(store, keypair, tmp_path):
    from aigate.bundle.writer import read_bundle_dir, write_tarball

    write_tarball(read_bundle_dir(store / "1.2.0"), store / "1.2.0.tar.gz", mtime=0)
    (store / ".1.3.0.tmp-x").mkdir()  # a crashed write: hidden, never a release
    report = verify_chain(store, Trust(key=keypair[1]))
    assert len(report.releases) == 3


def test_rollback_names_the_newest_earlier_passing_release(store, keypair, aigate):
    proc = aigate("rollback", "--bundles", store, "--key", keypair[1], "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["version"] == "1.1.0" and doc["current"] == "1.2.0"
    assert doc["bundle"].endswith("1.1.0")
    assert {a["path"] for a in doc["artifacts"]} == {"model/config.json", "model/model.safetensors"}
    text = aigate("rollback", "--bundles", store, "--key", keypair[1])
    assert "rollback target: fraud-detector 1.1.0" in text.stdout and "sha256:" in text.stdout


def test_rollback_skips_failed_and_tampered_releases(tmp_path, new_project, make_bundle, keypair, aigate):
    s = tmp_path / "s"
    prev = None
    for i, (version, passed) in enumerate(
        (("1.0.0", True), ("1.1.0", True), ("1.2.0", False), ("1.3.0", True))
    ):
        res = make_bundle(
            s / version,
            new_project(tmp_path / f"p{i}", version.encode()),
            version=version,
            passed=passed,
            previous=prev,
            evidence=1_767_225_600 + i * DAY,
        )
        prev = res.decision_digest
    (s / "1.1.0" / "report.md").write_text("rewritten\n")
    target = rollback_target(s, Trust(key=keypair[1]))
    assert target.version == "1.0.0"  # 1.2.0 failed, 1.1.0 does not verify
    assert [Path(x["path"]).name for x in target.skipped] == ["1.1.0"]
    assert rollback_target(s, Trust(key=keypair[1]), current="1.2.0").version == "1.0.0"


def test_rollback_without_an_earlier_passing_release_exits_1(
    tmp_path, new_project, make_bundle, keypair, aigate
):
    s = tmp_path / "s"
    make_bundle(s / "1.0.0", new_project(tmp_path / "p", b"x"), version="1.0.0")
    proc = aigate("rollback", "--bundles", s, "--key", keypair[1])
    assert proc.returncode == 1 and "no rollback target" in proc.stderr
    proc = aigate("rollback", "--bundles", s, "--key", keypair[1], "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["target"] is None


def test_store_that_does_not_exist_is_bad_input(tmp_path, keypair, aigate):
    proc = aigate("audit", "verify", "--bundles", tmp_path / "nope", "--key", keypair[1])
    assert proc.returncode == 2
