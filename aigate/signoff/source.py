"""Where approvals come from: the :class:`ApprovalSource` interface.

Git (signed tags, :mod:`aigate.signoff.gitsource`) is the one implementation today. A later
source (GitHub pull-request reviews, an MLflow or SageMaker registry's approval status) finds
its records and proves who made them in its own way, then hands the same :class:`FoundApproval`
and :class:`SignatureCheck` data to the shared evaluation (:mod:`aigate.signoff.evaluate`),
which applies roles, quorum, digest binding, separation of duties and the policy-change rule
identically whatever the source.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from aigate.signoff.approvers import Approvers
from aigate.signoff.record import ApprovalPayload


@dataclass(frozen=True)
class FoundApproval:
    """One record that looks like an approval, before anything about it is trusted."""

    id: str  # stable id within its source (a ref name, "commit:<sha>", a review URL, ...)
    source: str  # "git-tag" | "git-trailer" | future sources
    kind: str  # "signed-tag" | "unsigned-tag" | "lightweight-tag" | "trailer" | ...
    object_id: str | None = None  # git object holding the record (tag object id)
    target: str | None = None  # commit the record points at (tag target)
    claimed_by: str = ""  # "Name <email>" as written in the record (text, not proof)
    time: int | None = None  # seconds since the epoch as written in the record (text, not proof)
    payload: ApprovalPayload | None = None
    problem: str | None = None  # why the record cannot be an approval before any signature check
    signature_format: str | None = None  # "ssh" | "openpgp" | "x509" | None (unsigned)
    signature_key: str | None = None  # SSH: fingerprint of the key embedded in the signature (unverified)


@dataclass(frozen=True)
class SignatureCheck:
    """The result of proving who made a record."""

    verified: bool
    reason: str  # why it verified or not, one line
    fingerprint: str | None = None  # key that made a verified (or well-formed) signature
    format: str | None = None
    primary_fingerprint: str | None = None  # OpenPGP: the primary key of a signing subkey
    person: str | None = None  # platform sources: an identity the platform vouches for


class ApprovalSource(abc.ABC):
    """A place approvals are recorded."""

    name: str = ""

    @abc.abstractmethod
    def find(self) -> list[FoundApproval]:
        """Every record in this source that looks like an approval (one cheap pass)."""

    @abc.abstractmethod
    def verify(self, candidates: Sequence[FoundApproval], approvers: Approvers) -> dict[str, SignatureCheck]:
        """Prove who made each candidate, against the approvers' keys; keyed by ``FoundApproval.id``.

        Only records that could count are passed here (right model, digests, commit), so the
        expensive part runs for a handful of records, not for the whole history.
        """
