"""Signing: Sigstore keyless (ambient OIDC), a local ECDSA P-256 key, and OpenSSF model signatures.

A signing mode is one of ``none``, ``keyless`` or ``key:PATH``. Whether a run may go without a
signature is decided by :func:`require_signing`, never by the signer itself: a recorded run in CI
that cannot sign fails closed unless the organisation's policy data says ``allow_unsigned_evidence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aigate.errors import SigningError, UsageError

STATEMENT_SIGNATURE = "attestation.sigstore.json"
MODEL_SIGNATURE = "model.sig"


@dataclass(frozen=True)
class SigningMode:
    """A parsed ``--sign`` value. ``key_path`` is set exactly when ``kind == "key"``."""

    kind: Literal["none", "keyless", "key"]
    key_path: Path | None = None

    @classmethod
    def parse(cls, text: str) -> SigningMode:
        """Parse ``none``, ``keyless`` or ``key:PATH``; anything else is a usage error (exit 2)."""
        value = (text or "").strip()
        if value == "none":
            return cls("none")
        if value == "keyless":
            return cls("keyless")
        if value.startswith("key:") and value[4:].strip():
            return cls("key", Path(value[4:].strip()))
        raise UsageError(
            f"--sign {text!r} is not a signing mode",
            hint="use one of: none, keyless, key:PATH (a PEM ECDSA P-256 private key)",
        )

    @property
    def signs(self) -> bool:
        return self.kind != "none"

    def __str__(self) -> str:
        return f"key:{self.key_path}" if self.kind == "key" else self.kind


def unsigned_evidence_allowed(policy_data: Mapping[str, Any]) -> bool:
    """The organisation's switch; only a literal ``true`` counts (fail closed on anything else)."""
    return policy_data.get("allow_unsigned_evidence") is True


def require_signing(mode: SigningMode, *, dry_run: bool, in_ci: bool, policy_data: Mapping[str, Any]) -> None:
    """Raise :class:`SigningError` (exit 3) when this run must sign but the mode does not.

    A dry run records nothing, and a local run is a developer's own business; a recorded run in
    CI produces the evidence an auditor will rely on, so it must be signed unless the policy data
    (which the release's own authors do not control) explicitly allows unsigned evidence.
    """
    if mode.signs or dry_run or not in_ci or unsigned_evidence_allowed(policy_data):
        return
    raise SigningError(
        "a recorded run in CI must sign its evidence bundle",
        hint="pass --sign keyless (CI with id-token permission) or --sign key:PATH, "
        "or set allow_unsigned_evidence: true in the policy data",
    )
