"""The history collector: ``input.history`` from a previous bundle, a bundle store and the
manifest's rollback section, all verified for real."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from aigate.collect.history import HistoryCollector, previous_decision_digest
from aigate.collect.interface import CollectContext
from aigate.errors import InputError

DAY = 86_400


def _ctx(root: Path, manifest: dict, **options) -> CollectContext:
    return CollectContext(
        root=root,
        manifest=manifest,
        manifest_path=root / "aigate.yaml",
        manifest_digest="0" * 64,
        policy_data={},
        dry_run=False,
        options=options,
    )


@pytest.fixture
def history(tmp_path, new_project, make_bundle) -> Path:
    """A project whose releases/ holds 1.0.0 ← 1.1.0; the current release is 1.2.0."""
    root = new_project(tmp_path / "proj", b"1.2.0")
    prev = None
    for i, version in enumerate(("1.0.0", "1.1.0")):
        res = make_bundle(
            root / "releases" / version,
            new_project(tmp_path / f"old{i}", version.encode()),
            version=version,
            previous=prev,
            evidence=1_767_225_600 + i * DAY,
        )
        prev = res.decision_digest
    return root


def test_store_gives_previous_chain_and_rollback_target(history, keypair):
    manifest = {"rollback": {"target": "1.0.0", "bundle": "releases/1.0.0"}}
    ev = HistoryCollector().collect(
        _ctx(history, manifest, bundles=str(history / "releases"), verify_key=keypair[1])
    )
    data = ev.data
    assert ev.key == "history"
    assert data["chain"] == {
        "length": 2,
        "verified": True,
        "head_decision_digest": data["previous"]["decision_digest"],
        "reason": None,
    }
    prev = data["previous"]
    assert prev["version"] == "1.1.0" and prev["verified"] and prev["decision"] == "pass"
    decision = (history / "releases" / "1.1.0" / "decision.json").read_bytes()
    assert prev["decision_digest"] == "sha256:" + hashlib.sha256(decision).hexdigest()
    assert prev["metrics"] == {"auc": 0.9, "version": "1.1.0"}
    assert previous_decision_digest(data) == prev["decision_digest"]
    target = data["rollback_target"]
    assert target["found"] and target["verified"] and target["passed"] and target["version_matches"]


def test_signing_key_verifies_history_when_no_public_key_is_given(history, keypair):
    ev = HistoryCollector().collect(
        _ctx(history, {}, previous=str(history / "releases/1.1.0"), sign=f"key:{keypair[0]}")
    )
    assert ev.data["previous"]["verified"] is True


def test_tampered_previous_is_reported_unverified_not_passed(history, keypair):
    (history / "releases/1.1.0/report.md").write_text("edited\n")
    ev = HistoryCollector().collect(
        _ctx(history, {}, previous=str(history / "releases/1.1.0"), verify_key=keypair[1])
    )
    prev = ev.data["previous"]
    assert prev["verified"] is False and "report.md" in prev["reason"]
    assert prev["version"] is None and prev["decision"] is None


def test_broken_chain_and_missing_rollback_bundle(history, keypair):
    shutil.rmtree(history / "releases" / "1.0.0")
    manifest = {"rollback": {"target": "1.0.0", "bundle": "releases/1.0.0"}}
    ev = HistoryCollector().collect(
        _ctx(history, manifest, bundles=str(history / "releases"), verify_key=keypair[1])
    )
    assert ev.data["chain"]["verified"] is False and "gap" in ev.data["chain"]["reason"]
    target = ev.data["rollback_target"]
    assert target["found"] is False and target["verified"] is False and target["passed"] is False


def test_rollback_target_found_by_version_in_the_store(history, keypair):
    manifest = {"rollback": {"target": "1.0.0"}}
    ev = HistoryCollector().collect(
        _ctx(history, manifest, bundles=str(history / "releases"), verify_key=keypair[1])
    )
    assert ev.data["rollback_target"]["verified"] and ev.data["rollback_target"]["bundle"].endswith("1.0.0")


def test_rollback_target_with_wrong_version_does_not_match(history, keypair):
    manifest = {"rollback": {"target": "0.9.0", "bundle": "releases/1.0.0"}}
    ev = HistoryCollector().collect(_ctx(history, manifest, verify_key=keypair[1]))
    target = ev.data["rollback_target"]
    assert target["verified"] and target["version_matches"] is False
    assert target["target"] == "0.9.0" and target["version"] == "1.0.0"


def test_no_trust_configured_means_unverified(history):
    ev = HistoryCollector().collect(_ctx(history, {}, previous=str(history / "releases/1.1.0")))
    assert ev.data["previous"]["verified"] is False and "--key" in ev.data["previous"]["reason"]


def test_nothing_to_collect_is_skipped_as_data(history):
    ev = HistoryCollector().collect(_ctx(history, {}))
    assert ev.data is None and ev.skipped


def test_missing_previous_path_is_bad_input(history, keypair):
    with pytest.raises(InputError, match="no such previous bundle"):
        HistoryCollector().collect(_ctx(history, {}, previous=str(history / "nope"), verify_key=keypair[1]))


def test_rollback_bundle_outside_the_project_is_refused(history, keypair):
    with pytest.raises(InputError, match="outside the project"):
        HistoryCollector().collect(
            _ctx(history, {"rollback": {"bundle": "../elsewhere"}}, verify_key=keypair[1])
        )


def test_fast_path_skips_history(history, keypair):
    ctx = CollectContext(
        root=history,
        manifest={"rollback": {"target": "1.0.0"}},
        manifest_path=history / "aigate.yaml",
        manifest_digest="0" * 64,
        policy_data={},
        fast=True,
        options={"bundles": str(history / "releases"), "verify_key": keypair[1]},
    )
    ev = HistoryCollector().collect(ctx)
    assert ev.data is None and "fast path" in (ev.skipped or "")
