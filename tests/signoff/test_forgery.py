"""The forgery and fault suite: each record below must not count, with a reason.

Every case is a real repository with real keys; the record is made the way an attacker (or an
honest mistake) would make it, and the collector's output is read like the policies read it.
"""

from __future__ import annotations

from typing import Any

import pytest
from signoff_helpers import PEOPLE, Project, by_id, default_approvals, member


def _not_counted(data: dict[str, Any], ref: str, *words: str) -> dict[str, Any]:
    rec = by_id(data, ref)
    assert rec["counted"] is False, rec
    for word in words:
        assert word in rec["reason"], rec["reason"]
    return rec


def test_unsigned_approved_by_trailer(project: Project) -> None:
    sha = project.commit(
        "ship it\n\nApproved-by: Alice <alice@example.com>\nApproved-by: Bob <bob@example.com>",
        {"README.md": "x\n"},
    )
    data = project.signoffs()
    trailers = [a for a in data["approvals"] if a["kind"] == "trailer"]
    assert [a["claimed_by"] for a in trailers] == ["Alice <alice@example.com>", "Bob <bob@example.com>"]
    for rec in trailers:
        assert rec["counted"] is False and rec["verified"] is False and rec["commit"] == sha
        assert "not a signature" in rec["reason"]
    assert data["satisfied"] is False
    assert {m["role"] for m in data["missing"]} == {"ml-lead", "security-lead"}


def test_unsigned_tag_with_a_valid_payload(project: Project) -> None:
    ref = project.approve("alice", "security-lead")
    msg = project.git("cat-file", "tag", ref).split("\n\n", 1)[1]
    payload = msg[: msg.index("-----BEGIN")]
    project.git("tag", "-a", "--cleanup=verbatim", "-m", payload, "aigate/approvals/forged/unsigned")
    data = project.signoffs()
    _not_counted(data, "refs/tags/aigate/approvals/forged/unsigned", "not signed")


def test_lightweight_tag(project: Project) -> None:
    project.git("tag", "aigate/approvals/forged/light")
    _not_counted(project.signoffs(), "refs/tags/aigate/approvals/forged/light", "lightweight")


def test_tag_signed_by_a_key_not_in_the_list(project: Project) -> None:
    ref = project.approve("mallory", "security-lead")
    rec = _not_counted(project.signoffs(), ref, "not in the approvers list")
    assert rec["verified"] is False and rec["key"].startswith("SHA256:")


def test_listed_key_signing_for_a_role_it_lacks(project: Project) -> None:
    ref = project.approve("bob", "security-lead")  # bob is ml-lead only
    rec = _not_counted(project.signoffs(), ref, "listed for role(s) ml-lead, not for 'security-lead'")
    assert rec["verified"] is True  # a good signature, by the wrong role


def test_model_changed_after_approval(project: Project) -> None:
    ref = project.approve("alice", "security-lead")
    project.commit("retrain", {"model/model.safetensors": b"weights-1.1-retrained"})
    _not_counted(project.signoffs(), ref, "model changed after approval")


def test_manifest_changed_after_approval(project: Project) -> None:
    ref = project.approve("alice", "security-lead")
    text = (project.root / "aigate.yaml").read_text() + "# edited\n"
    project.commit("edit manifest", {"aigate.yaml": text})
    _not_counted(project.signoffs(), ref, "manifest changed after approval")


def test_self_approval_with_separation_of_duties(project: Project) -> None:
    project.commit("alice's change", {"README.md": "alice\n"}, author=("Alice", "alice@example.com"))
    ref = project.approve("alice", "security-lead")
    rec = _not_counted(project.signoffs(), ref, "self-approval", "alice@example.com")
    assert rec["verified"] is True


def test_same_person_twice_toward_a_quorum_of_two(project: Project) -> None:
    approvals = default_approvals(project.keys)
    approvals["roles"]["security-lead"]["quorum"] = 2
    refs = [project.approve("alice", "security-lead"), project.approve("alice", "security-lead")]
    data = project.signoffs(approvals)
    recs = [by_id(data, r) for r in refs]
    assert sorted(r["counted"] for r in recs) == [False, True]
    assert any("already counted" in r["reason"] for r in recs)
    assert data["roles"]["security-lead"]["counted"] == 1
    assert not data["roles"]["security-lead"]["satisfied"]


def test_tag_object_rewritten_after_signing(project: Project) -> None:
    ref = project.approve("alice", "security-lead", comment="reviewed")
    raw = project.git("cat-file", "tag", ref) + "\n"
    forged = raw.replace('"comment":"reviewed"', '"comment":"reviewed and extended"')
    assert forged != raw
    oid = project.git("mktag", input=forged)
    project.git("update-ref", "refs/tags/aigate/approvals/forged/rewritten", oid)
    project.git("update-ref", "-d", ref)
    rec = _not_counted(project.signoffs(), "refs/tags/aigate/approvals/forged/rewritten", "does not verify")
    assert rec["verified"] is False


def test_tag_retargeted_to_another_commit(project: Project) -> None:
    ref = project.approve("alice", "security-lead")
    raw = project.git("cat-file", "tag", ref) + "\n"
    head = project.git("rev-parse", "HEAD")
    parent = project.git("rev-parse", "HEAD^")
    oid = project.git("mktag", input=raw.replace(f"object {head}", f"object {parent}", 1))
    project.git("update-ref", ref, oid)
    _not_counted(project.signoffs(), ref, "payload names commit")


def test_expired_ssh_key(make_project: Any, keys: Any) -> None:
    approvals = default_approvals(keys)
    approvals["roles"]["security-lead"]["members"] = [
        member(keys, "alice", ssh_options='valid-before="20200101"')
    ]
    project = make_project(approvals)
    ref = project.approve("alice", "security-lead")
    rec = _not_counted(project.signoffs(), ref, "validity window")
    assert "expired" in rec["reason"]


def test_revoked_ssh_key(project: Project) -> None:
    approvals = default_approvals(project.keys)
    approvals["revoked_ssh_keys"] = [project.keys.ssh["alice"].public]
    ref = project.approve("alice", "security-lead")
    _not_counted(project.signoffs(approvals), ref, "revoked")


@pytest.mark.parametrize(("signer", "word"), [("erin", "expired"), ("frank", "revoked")])
def test_expired_or_revoked_openpgp_key(make_project: Any, keys: Any, signer: str, word: str) -> None:
    approvals = default_approvals(keys)
    approvals["roles"]["security-lead"]["members"].append(member(keys, signer, pgp=True))
    project = make_project(approvals)
    ref = project.approve(signer, "security-lead")
    rec = _not_counted(project.signoffs(), ref, word)
    assert rec["verified"] is False


def test_approval_of_a_commit_that_is_not_an_ancestor(project: Project) -> None:
    project.git("checkout", "-q", "-b", "side")
    project.commit("side change, same model and manifest", {"README.md": "side\n"})
    ref = project.approve("alice", "security-lead")
    project.git("checkout", "-q", "main")
    _not_counted(project.signoffs(), ref, "not the release commit", "or an ancestor")


def test_approval_of_an_ancestor_with_policy_changed_since(project: Project) -> None:
    ref = project.approve("alice", "security-lead")
    approvals = default_approvals(project.keys)
    approvals["roles"]["ml-lead"]["quorum"] = 1
    project.commit("touch policy", {project.policy_file: project.write_policy(approvals) + "# note\n"})
    _not_counted(project.signoffs(), ref, "policy/approvals.yaml changed since")


def test_approval_for_another_release(project: Project) -> None:
    project.git("checkout", "-q", "v1.0.0")
    ref = project.approve("alice", "security-lead")
    project.git("checkout", "-q", "main")
    _not_counted(project.signoffs(), ref, "approves fraud-detector 1.0.0, not this release")


def test_role_not_defined_in_policy_data(project: Project) -> None:
    ref = project.approve("alice", "release-manager")
    _not_counted(project.signoffs(), ref, "'release-manager' is not defined")


def test_release_cannot_approve_itself_by_adding_a_key(project: Project) -> None:
    """The range adds mallory to security-lead; her approval counts for the role under the new
    list but not as the policy-change approval, which is checked against the previous list."""
    changed = default_approvals(project.keys)
    changed["roles"]["security-lead"]["members"].append(member(project.keys, "mallory"))
    project.commit("add mallory", {project.policy_file: project.write_policy(changed)})
    project.approve("bob", "ml-lead")
    m = project.approve("mallory", "security-lead")
    data = project.signoffs(changed)
    assert data["policy_change"] is True
    assert data["policy_change_paths"] == ["policy/approvals.yaml"]
    rec = by_id(data, m)
    assert rec["counts_for"] == ["security-lead"]
    assert data["policy_change_approval"]["approvers_list"] == "base"
    assert data["satisfied"] is False
    assert [x["role"] for x in data["missing"]] == ["security-lead"]
    assert data["missing"][0]["policy_change"] is True
    assert "policy-change approval from role 'security-lead'" in data["missing"][0]["message"]
    # a security lead from the previous list approves the change: now it passes
    a = project.approve("alice", "security-lead")
    data = project.signoffs(changed)
    assert by_id(data, a)["counts_for"] == ["security-lead", "policy-change"]
    assert data["satisfied"] is True
    assert PEOPLE["alice"] in data["roles"]["policy-change"]["approvers"]


def test_openpgp_key_not_in_the_list(project: Project) -> None:
    ref = project.approve("dave", "security-lead")  # a real OpenPGP signature, key not listed
    rec = _not_counted(project.signoffs(), ref, "not in the approvers list")
    assert rec["verified"] is False
