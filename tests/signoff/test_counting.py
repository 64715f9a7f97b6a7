"""Approvals that must count, quorum and the example's pass/fail on one missing role."""

from __future__ import annotations

import json
from typing import Any

from signoff_helpers import Project, by_id, default_approvals


def test_two_valid_approvals_satisfy_every_required_role(project: Project) -> None:
    a = project.approve("alice", "security-lead", comment="threat model reviewed")
    b = project.approve("bob", "ml-lead")
    evidence = project.collect()
    data = evidence.data
    assert data["satisfied"] is True, data
    assert data["roles"]["security-lead"] == {
        "role": "security-lead",
        "quorum": 1,
        "counted": 1,
        "approvers": ["alice@example.com"],
        "satisfied": True,
    }
    assert by_id(data, a)["counted"] and by_id(data, a)["verified"]
    assert by_id(data, a)["comment"] == "threat model reviewed"
    assert by_id(data, b)["signer"] == "bob@example.com"
    assert by_id(data, b)["key"].startswith("SHA256:")
    assert data["missing"] == [] and data["problems"] == []
    assert data["range"]["base_ref"] == project.base_commit  # the recorded commit, never a tag name
    # the bundle file lists the same approvals with their reasons
    bundle = json.loads(evidence.files["signoffs.json"])
    assert {x["id"] for x in bundle["approvals"]} == {a, b}
    assert all(x["reason"] for x in bundle["approvals"])


def test_removing_one_approval_fails_and_names_the_missing_role(project: Project) -> None:
    project.approve("alice", "security-lead")
    b = project.approve("bob", "ml-lead")
    project.git("tag", "-d", b.removeprefix("refs/tags/"))
    data = project.signoffs()
    assert data["satisfied"] is False
    assert [m["role"] for m in data["missing"]] == ["ml-lead"]
    assert "ml-lead" in data["missing"][0]["message"]


def test_quorum_counts_distinct_people(project: Project) -> None:
    approvals: dict[str, Any] = default_approvals(project.keys)
    approvals["roles"]["security-lead"]["quorum"] = 2
    project.approve("bob", "ml-lead")
    first = project.approve("alice", "security-lead")
    second = project.approve("alice", "security-lead")
    data = project.signoffs(approvals)
    pair = sorted((by_id(data, first), by_id(data, second)), key=lambda x: x["counted"])
    assert [x["counted"] for x in pair] == [False, True]  # exactly one of alice's two counts
    assert "already counted for role 'security-lead'" in pair[0]["reason"]
    assert data["roles"]["security-lead"]["counted"] == 1 and data["satisfied"] is False
    carol = project.approve("carol", "security-lead")
    data = project.signoffs(approvals)
    assert by_id(data, carol)["counted"] is True and data["satisfied"] is True


def test_openpgp_approval_counts(make_project: Any, keys: Any) -> None:
    from signoff_helpers import member

    approvals = default_approvals(keys)
    approvals["roles"]["ml-lead"]["members"].append(member(keys, "dave", pgp=True))
    project = make_project(approvals)
    project.approve("alice", "security-lead")
    d = project.approve("dave", "ml-lead")
    data = project.signoffs()
    assert by_id(data, d)["counted"] is True, by_id(data, d)
    assert by_id(data, d)["key"] == keys.pgp["dave"].fingerprint
    assert data["satisfied"] is True


def test_approval_of_an_ancestor_counts_when_nothing_relevant_changed(project: Project) -> None:
    a = project.approve("alice", "security-lead")
    b = project.approve("bob", "ml-lead")
    project.commit("docs only", {"README.md": "more docs\n"})
    data = project.signoffs()
    assert by_id(data, a)["counted"] and by_id(data, b)["counted"] and data["satisfied"]


def test_detached_head(project: Project) -> None:
    project.approve("alice", "security-lead")
    project.approve("bob", "ml-lead")
    project.git("checkout", "-q", "--detach", "HEAD")
    assert project.signoffs()["satisfied"] is True


def test_separation_of_duties_off_lets_an_author_approve(make_project: Any, keys: Any) -> None:
    approvals = default_approvals(keys)
    approvals["separation_of_duties"] = False
    project = make_project(approvals)
    project.commit("tweak by alice", {"README.md": "alice\n"}, author=("Alice", "alice@example.com"))
    a = project.approve("alice", "security-lead")
    assert by_id(project.signoffs(), a)["counted"] is True


def test_model_digest_reuses_the_artifacts_collectors_hashes(project: Project) -> None:
    """With the artifacts collector's evidence in the context, its per-file hashes feed the model
    digest (no second read of the model); the approvals still bind, so both agree exactly."""
    import dataclasses
    import hashlib

    import yaml

    from aigate.collect.artifacts import ArtifactsCollector
    from aigate.collect.interface import CollectContext
    from aigate.collect.signoffs import SignoffsCollector
    from aigate.signoff import model_digest

    project.approve("alice", "security-lead")
    project.approve("bob", "ml-lead")
    raw = (project.root / "aigate.yaml").read_bytes()
    ctx = CollectContext(
        root=project.root,
        manifest=yaml.safe_load(raw),
        manifest_path=project.root / "aigate.yaml",
        manifest_digest=hashlib.sha256(raw).hexdigest(),
        policy_data={"approvals": project.approvals},
        options={},
    )
    artifacts = ArtifactsCollector().collect(ctx)
    ctx = dataclasses.replace(ctx, options={"evidence": {"artifacts": artifacts.data}})
    data = SignoffsCollector().collect(ctx).data
    assert data["model_digest"] == model_digest(project.root, project.manifest)
    assert data["satisfied"] is True
    # evidence that does not cover every file is not used: the files are hashed instead
    partial = [dict(a, files=a["files"][:1]) for a in artifacts.data]
    ctx = dataclasses.replace(ctx, options={"evidence": {"artifacts": partial}})
    assert SignoffsCollector().collect(ctx).data["satisfied"] is True
    # and the reuse is real: a (hypothetical) different hash in the evidence changes the digest
    changed = [dict(a, files=[dict(f, sha256="0" * 64) for f in a["files"]]) for a in artifacts.data]
    ctx = dataclasses.replace(ctx, options={"evidence": {"artifacts": changed}})
    assert SignoffsCollector().collect(ctx).data["model_digest"] != data["model_digest"]


def test_a_tag_never_anchors_the_range(project: Project) -> None:
    """Tags are not evidence: with no base from a verified previous release the range is the whole
    history (from the first commit), whatever tags point into it (issue 10, high #2)."""
    project.commit("docs", {"README.md": "docs\n"})
    project.git("tag", "docs-snapshot")
    project.commit("more", {"README.md": "more\n"})
    project.git("tag", "v1.1.0")
    data = project.signoffs(base="root", basis="none")
    assert data["range"]["base"] is None and data["range"]["base_ref"] is None
    assert data["range"]["basis"] == "none"
    given = project.signoffs()  # the base the gate passes: the previous release's recorded commit
    assert given["range"]["base"] == project.git("rev-parse", "v1.0.0^{commit}")
    assert given["range"]["basis"] == "evidence"
