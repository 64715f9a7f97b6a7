"""The collector interface.

A collector gathers one kind of evidence. It returns data for the policy input document and
the files it contributes to the evidence bundle; it never prints and never decides. A
collector that cannot gather its evidence raises :class:`aigate.errors.CollectorError`
(exit 3) or :class:`aigate.errors.InputError` (exit 2, the user's input is wrong): the
gate does not pass on evidence it did not collect.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CollectContext:
    """Everything a collector may read. Paths in the manifest are relative to ``root``."""

    root: Path  # project root (-C), resolved
    manifest: dict[str, Any]  # validated manifest
    manifest_path: Path  # resolved path of aigate.yaml
    manifest_digest: str  # sha256 hex of the manifest bytes as evaluated
    policy_data: dict[str, Any]  # the organisation's policy data (merged with defaults)
    manifest_display: str = "aigate.yaml"  # how messages name the manifest (relative when possible)
    dry_run: bool = True
    fast: bool = False  # pre-commit path: manifest + policies only, no SBOM or hashing
    python: str | None = None  # --python: the environment to inspect (None: aigate's own)
    options: dict[str, Any] = field(default_factory=dict)  # per-collector flags (e.g. previous bundle)


@dataclass(frozen=True)
class Evidence:
    """What one collector produced.

    ``data`` goes to ``input.<key>``; ``files`` maps bundle file names to their exact bytes.
    ``skipped`` explains, as data, why a collector produced nothing (e.g. the fast path):
    policies then fall back to the manifest's declarations and mark their findings declared.
    """

    key: str
    data: Any
    files: dict[str, bytes] = field(default_factory=dict)
    skipped: str | None = None


class Collector(abc.ABC):
    """One kind of evidence."""

    #: the key under ``input`` this collector fills
    key: str = ""

    @abc.abstractmethod
    def collect(self, ctx: CollectContext) -> Evidence:
        """Gather evidence; raise an ``AigateError`` subclass when that is impossible."""
