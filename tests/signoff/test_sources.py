"""The ApprovalSource interface: a second source plugs into the same rules.

``PlatformReviews`` is a small fake of a future source (it stands in for GitHub pull-request
reviews: the platform vouches for the reviewer's identity instead of a key). It is not a mock of
the code under test: evaluation, roles, quorum, digest binding and separation of duties run for
real over a real repository."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from signoff_helpers import Project

from aigate.signoff import (
    ApprovalPayload,
    ApprovalSource,
    FoundApproval,
    ReleaseSubject,
    SignatureCheck,
    check_signoffs,
    model_digest,
)
from aigate.signoff.approvers import Approvers


class PlatformReviews(ApprovalSource):
    name = "platform"

    def __init__(self, reviews: list[tuple[str, str, ApprovalPayload, bool]]):
        self.reviews = reviews  # (review id, reviewer email, payload, platform says authentic)

    def find(self) -> list[FoundApproval]:
        return [
            FoundApproval(
                id=rid, source="platform-review", kind="review", target=p.commit, claimed_by=email, payload=p
            )
            for rid, email, p, _ in self.reviews
        ]

    def verify(self, candidates: Sequence[FoundApproval], approvers: Approvers) -> dict[str, SignatureCheck]:
        authentic = {rid: (email, ok) for rid, email, _, ok in self.reviews}
        out = {}
        for c in candidates:
            email, ok = authentic[c.id]
            out[c.id] = SignatureCheck(
                ok, "platform-verified review" if ok else "review not authentic", person=email
            )
        return out


def test_a_second_source_is_held_to_the_same_rules(project: Project) -> None:
    raw = (project.root / "aigate.yaml").read_bytes()
    subject = ReleaseSubject(
        "fraud-detector",
        "1.1.0",
        model_digest(project.root, project.manifest),
        hashlib.sha256(raw).hexdigest(),
        ("aigate.yaml", "model/model.safetensors", "model/extra/tokenizer.json"),
    )
    head = project.git("rev-parse", "HEAD")
    good = ApprovalPayload(
        "ml-lead", "fraud-detector", "1.1.0", subject.model_digest, "sha256:" + subject.manifest_digest, head
    )
    stale = ApprovalPayload(
        "ml-lead", "fraud-detector", "1.1.0", "sha256:" + "1" * 64, good.manifest_digest, head
    )
    source = PlatformReviews(
        [
            ("review/1", "bob@example.com", good, True),
            ("review/2", "bob@example.com", good, True),  # same person again
            ("review/3", "mallory@example.com", good, True),  # not a listed ml-lead
            ("review/4", "bob@example.com", stale, True),  # bound to another model
            ("review/5", "bob@example.com", good, False),  # platform cannot vouch for it
        ]
    )
    project.approve("alice", "security-lead")
    result = check_signoffs(project.root, subject, project.approvals, extra_sources=[source])
    data = result.to_input()
    by = {a["id"]: a for a in data["approvals"]}
    counted = [rid for rid in ("review/1", "review/2", "review/5") if by[rid]["counted"]]
    assert len(counted) == 1 and counted[0] in ("review/1", "review/2")
    assert "identity mallory@example.com is not listed for any role" in by["review/3"]["reason"]
    assert "model changed after approval" in by["review/4"]["reason"]
    assert data["roles"]["ml-lead"]["approvers"] == ["bob@example.com"]
    assert data["satisfied"] is True
