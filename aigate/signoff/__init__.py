"""Sign-offs in git: signed approvals, roles, quorum, digest binding (see docs/signoffs.md).

Public API:

- :func:`create_approval` (``aigate approve``) records a signed approval tag;
- :func:`check_signoffs` finds, verifies and counts approvals for a release;
- :func:`model_digest` / :func:`manifest_digest` are the two digests an approval binds;
- :class:`ApprovalSource` is the interface for further approval sources.
"""

from __future__ import annotations

from aigate.signoff.approve import ApprovalCreated, create_approval
from aigate.signoff.digests import manifest_digest, model_digest, model_digest_from_entries
from aigate.signoff.evaluate import RangeOptions, ReleaseSubject, SignoffResult, check_signoffs
from aigate.signoff.record import FETCH_REFSPEC, NAMESPACE, ApprovalPayload
from aigate.signoff.source import ApprovalSource, FoundApproval, SignatureCheck

__all__ = [
    "FETCH_REFSPEC",
    "NAMESPACE",
    "ApprovalCreated",
    "ApprovalPayload",
    "ApprovalSource",
    "FoundApproval",
    "RangeOptions",
    "ReleaseSubject",
    "SignatureCheck",
    "SignoffResult",
    "check_signoffs",
    "create_approval",
    "manifest_digest",
    "model_digest",
    "model_digest_from_entries",
]
