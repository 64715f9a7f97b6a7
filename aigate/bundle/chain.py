"""The decision chain over a bundle store, and the rollback target it implies.

Each bundle's ``index.json`` records ``previous_decision_digest``: the sha256 of the previous
release's ``decision.json``. Signed, that makes the releases a hash chain. :func:`verify_chain`
checks every bundle, then walks from the one genesis bundle (no previous decision) forward and
fails on:

- a bundle that does not verify (changed file, bad or missing signature);
- a **gap**: a bundle whose previous decision is not in the store (a release was removed,
  or replaced by a bundle with a different decision), or more than one genesis;
- a **fork**: two bundles claiming the same predecessor;
- a **reorder**: a bundle whose evidence time is earlier than its predecessor's.

A store is a directory whose entries are bundle directories and ``.tar.gz`` archives; hidden
entries (the writer's ``.NAME.tmp-*`` leftovers of a crash) are not releases and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.bundle.verify import Trust, VerifyResult
from aigate.errors import InputError, UsageError, VerificationFailure

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def list_bundles(store: Path) -> list[Path]:
    """The candidate bundles of a store, sorted by name."""
    store = Path(store)
    if not store.is_dir():
        raise InputError(f"{store}: no such bundle store directory")
    out = []
    for entry in sorted(store.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() or (entry.is_file() and entry.name.endswith(ARCHIVE_SUFFIXES)):
            out.append(entry)
    return out


def _verify_all(store: Path, trust: Trust) -> list[VerifyResult]:
    """Verify every bundle; a directory and its archive with the same index count once."""
    results: dict[str, VerifyResult] = {}
    for path in list_bundles(store):
        try:
            res = trust.verify(path)
        except VerificationFailure as exc:
            raise VerificationFailure(f"{path}: does not verify: {exc.one_line()}") from exc
        results.setdefault(res.index_digest, res)
    if not results:
        raise InputError(f"{store}: holds no evidence bundles")
    return list(results.values())


@dataclass(frozen=True)
class ChainReport:
    """A verified chain, oldest release first."""

    store: str
    releases: tuple[VerifyResult, ...]

    @property
    def head(self) -> VerifyResult:
        return self.releases[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": True,
            "store": self.store,
            "length": len(self.releases),
            "head": _summary(self.head),
            "releases": [_summary(r) for r in self.releases],
        }


def _summary(r: VerifyResult) -> dict[str, Any]:
    return {
        "path": r.path,
        "version": r.model_version,
        "model": r.model_name,
        "decision": r.decision,
        "evidence_time": r.evidence_time,
        "decision_digest": r.decision_digest,
        "previous_decision_digest": r.previous_decision_digest,
        "index_digest": r.index_digest,
        "signer": r.signer,
    }


def order_chain(results: list[VerifyResult], where: str) -> list[VerifyResult]:
    """Order verified bundles along their chain; raise on a gap, fork, duplicate or reorder."""
    by_decision: dict[str, VerifyResult] = {}
    for r in results:
        if r.decision_digest in by_decision:
            raise VerificationFailure(
                f"{r.path}: records the same decision as {by_decision[r.decision_digest].path} "
                "(duplicate release)"
            )
        by_decision[r.decision_digest] = r
    genesis = [r for r in results if r.previous_decision_digest is None]
    if len(genesis) != 1:
        if not genesis:
            oldest = min(results, key=lambda r: r.evidence_time)
            raise VerificationFailure(
                f"{oldest.path}: gap in the chain: previous decision {oldest.previous_decision_digest} "
                f"is not in {where} (no first release)"
            )
        names = ", ".join(sorted(r.path for r in genesis))
        raise VerificationFailure(
            f"{where}: gap in the chain: {len(genesis)} bundles claim to be the first ({names})"
        )
    followers: dict[str, list[VerifyResult]] = {}
    for r in results:
        if r.previous_decision_digest is not None:
            followers.setdefault(r.previous_decision_digest, []).append(r)
    chain = [genesis[0]]
    while True:
        nxt = followers.get(chain[-1].decision_digest, [])
        if not nxt:
            break
        if len(nxt) > 1:
            names = ", ".join(sorted(r.path for r in nxt))
            raise VerificationFailure(f"{where}: fork in the chain: {names} all follow {chain[-1].path}")
        if nxt[0].evidence_time < chain[-1].evidence_time:
            raise VerificationFailure(
                f"{nxt[0].path}: reorder in the chain: its evidence time {nxt[0].evidence_time} is earlier "
                f"than its predecessor {chain[-1].path} ({chain[-1].evidence_time})"
            )
        chain.append(nxt[0])
    if len(chain) != len(results):
        linked = {r.index_digest for r in chain}
        stray = sorted((r for r in results if r.index_digest not in linked), key=lambda r: r.evidence_time)[0]
        raise VerificationFailure(
            f"{stray.path}: gap in the chain: its previous decision {stray.previous_decision_digest} "
            f"is not a release in {where} (a bundle was removed or replaced)"
        )
    return chain


def verify_chain(store: Path, trust: Trust) -> ChainReport:
    """Verify every bundle in ``store`` and the chain that links them (see the module docstring)."""
    results = _verify_all(store, trust)
    return ChainReport(str(store), tuple(order_chain(results, str(store))))


@dataclass(frozen=True)
class RollbackTarget:
    """The release to roll back to: the newest earlier release that verifies and passed."""

    version: str
    model: str
    path: str
    index_digest: str
    decision_digest: str
    evidence_time: str
    artifacts: tuple[dict[str, Any], ...]
    current: str  # the version rolled back from
    skipped: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model": self.model,
            "bundle": self.path,
            "index_digest": self.index_digest,
            "decision_digest": self.decision_digest,
            "evidence_time": self.evidence_time,
            "artifacts": list(self.artifacts),
            "current": self.current,
            "skipped": list(self.skipped),
        }


def rollback_target(store: Path, trust: Trust, *, current: str | None = None) -> RollbackTarget:
    """Name the newest release older than the current one whose bundle verifies and passed.

    The current release is ``current`` (a version) or else the newest bundle in the store.
    Bundles that do not verify are skipped and listed (a tampered bundle is never a target);
    when nothing qualifies, :class:`VerificationFailure` (exit 1).
    """
    verified: list[VerifyResult] = []
    skipped: list[dict[str, str]] = []
    seen: set[str] = set()
    for path in list_bundles(store):
        try:
            res = trust.verify(path)
        except UsageError:
            raise  # no key/identity given: the user must fix the command, not a bad bundle
        except (VerificationFailure, InputError) as exc:
            skipped.append({"path": str(path), "reason": exc.one_line()})
            continue
        if res.index_digest not in seen:
            seen.add(res.index_digest)
            verified.append(res)
    if not verified and not skipped:
        raise InputError(f"{store}: holds no evidence bundles")
    verified.sort(key=lambda r: (r.evidence_time, r.path))
    if current is not None:
        same = [r for r in verified if r.model_version == current]
        if not same:
            raise InputError(f"{store}: no verified bundle of the current version {current}")
        cutoff = same[-1]
    elif verified:
        cutoff = verified[-1]
    else:
        raise VerificationFailure(
            f"{store}: no bundle verifies; no rollback target", hint=skipped[0]["reason"]
        )
    earlier = [
        r
        for r in verified
        if r.evidence_time <= cutoff.evidence_time
        and r is not cutoff
        and r.model_version != cutoff.model_version
    ]
    passing = [r for r in earlier if r.decision == "pass"]
    if not passing:
        raise VerificationFailure(
            f"{store}: no earlier release than {cutoff.model_version} verifies and passed; no rollback target"
        )
    t = passing[-1]
    return RollbackTarget(
        version=t.model_version,
        model=t.model_name,
        path=t.path,
        index_digest=t.index_digest,
        decision_digest=t.decision_digest,
        evidence_time=t.evidence_time,
        artifacts=t.artifacts,
        current=cutoff.model_version,
        skipped=tuple(skipped),
    )
