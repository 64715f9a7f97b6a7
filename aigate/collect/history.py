"""``input.history``: the previous release, the rollback target and the decision chain.

Sources (flags reach the collector through ``ctx.options``):

- ``previous``: a bundle path (``--previous BUNDLE``): the previous release;
- ``bundles``: a bundle store directory (``--bundles DIR``): the chain is verified and its
  newest release is the previous one;
- the manifest's ``rollback.bundle`` (project-relative) or ``rollback.target`` (a version
  looked up in the store).

Who must have signed those bundles comes from ``verify_key`` (a public key path), or
``identity``/``issuer``/``repository``/``trusted_root`` (keyless), or is derived from
``sign`` = ``key:PATH`` (the key this run signs with). Nothing here is a pass by default: a
bundle that does not verify is reported ``verified: false`` with the reason, and the ROLLBACK,
AUDIT and AUDITREADY policies deny on it. Only a path the user named that does not exist is an
input error (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aigate.bundle import DECISION
from aigate.bundle.verify import Trust, VerifyResult, read_bundle
from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import AigateError, InputError, UsageError, VerificationFailure
from aigate.paths import resolve_inside


def _sha256(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def trust_from_options(options: dict[str, Any]) -> Iterator[Trust]:
    """The :class:`Trust` the run's flags describe; a signing key's public half when nothing else is given."""
    key = options.get("verify_key")
    sign = options.get("sign")
    sign_text = str(sign) if sign is not None else ""
    with tempfile.TemporaryDirectory(prefix="aigate-history-") as tmp:
        if key is None and sign_text.startswith("key:") and not options.get("identity"):
            from aigate.sign import key as keysign

            pub = Path(tmp) / "signing.pub"
            pub.write_bytes(keysign.public_pem(keysign.load_private_key(Path(sign_text[4:])).public_key()))
            key = pub
        yield Trust(
            key=Path(key) if key is not None else None,
            identity=options.get("identity"),
            issuer=options.get("issuer"),
            repository=options.get("repository"),
            trusted_root=Path(options["trusted_root"]) if options.get("trusted_root") else None,
            allow_unsigned=bool(options.get("allow_unsigned_history", False)),
        )


def _metrics(path: Path) -> Any:
    """The previous release's evaluation metrics, from its input.json (None when absent)."""
    try:
        doc = json.loads(read_bundle(path).get("input.json", b"null"))
    except (AigateError, ValueError):
        return None
    reports = doc.get("reports") if isinstance(doc, dict) else None
    return reports.get("metrics") if isinstance(reports, dict) else None


def _release(res: VerifyResult) -> dict[str, Any]:
    return {
        "version": res.model_version,
        "model": res.model_name,
        "decision": res.decision,
        "bundle": res.path,
        "bundle_digest": res.index_digest,
        "decision_digest": res.decision_digest,
        "evidence_time": res.evidence_time,
        "signer": res.signer,
        "verified": True,
        "reason": None,
    }


def _unverified(path: Path, reason: str) -> dict[str, Any]:
    """A release that did not verify: only the raw decision digest (a fact about bytes) is kept."""
    digest = None
    with contextlib.suppress(AigateError, OSError):
        files = read_bundle(path)
        if DECISION in files:
            digest = _sha256(files[DECISION])
    return {
        "version": None,
        "model": None,
        "decision": None,
        "bundle": str(path),
        "bundle_digest": None,
        "decision_digest": digest,
        "evidence_time": None,
        "signer": None,
        "verified": False,
        "reason": reason,
    }


def _check(trust: Trust, path: Path) -> tuple[VerifyResult | None, str | None]:
    try:
        return trust.verify(path), None
    except UsageError as exc:  # no key/identity configured for a signed bundle
        return None, exc.one_line()
    except VerificationFailure as exc:
        return None, exc.one_line()


class HistoryCollector(Collector):
    """Verify the release history this run builds on; feeds ROLLBACK, AUDIT and AUDITREADY."""

    key = "history"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path (--fast): release history not verified")
        opts = ctx.options
        previous_opt = opts.get("previous")
        store_opt = opts.get("bundles")
        rollback = ctx.manifest.get("rollback") if isinstance(ctx.manifest.get("rollback"), dict) else None
        if previous_opt is None and store_opt is None and rollback is None:
            return Evidence(self.key, None, skipped="no --previous, --bundles or rollback section")
        with trust_from_options(opts) as trust:
            previous, chain = self._previous(trust, previous_opt, store_opt)
            target = self._rollback(ctx, trust, rollback, store_opt)
        data = {"previous": previous, "rollback_target": target, "chain": chain}
        return Evidence(self.key, data)

    def _previous(
        self, trust: Trust, previous_opt: Any, store_opt: Any
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        from aigate.bundle.chain import list_bundles, verify_chain

        previous: dict[str, Any] | None = None
        chain: dict[str, Any] | None = None
        if store_opt is not None:
            store = Path(store_opt)
            if not store.is_dir():
                raise InputError(f"{store}: no such bundle store directory", hint="check --bundles")
            if not list_bundles(store):
                chain = {"length": 0, "verified": True, "head_decision_digest": None, "reason": "empty store"}
            else:
                try:
                    report = verify_chain(store, trust)
                except (VerificationFailure, UsageError) as exc:
                    chain = {
                        "length": None,
                        "verified": False,
                        "head_decision_digest": None,
                        "reason": exc.one_line(),
                    }
                else:
                    head = report.head
                    chain = {
                        "length": len(report.releases),
                        "verified": True,
                        "head_decision_digest": head.decision_digest,
                        "reason": None,
                    }
                    previous = _release(head)
                    previous["metrics"] = _metrics(Path(head.path))
        if previous_opt is not None:
            path = Path(previous_opt)
            if not path.exists():
                raise InputError(f"{path}: no such previous bundle", hint="check --previous")
            res, reason = _check(trust, path)
            previous = _release(res) if res is not None else _unverified(path, reason or "does not verify")
            previous["metrics"] = _metrics(path) if res is not None else None
        return previous, chain

    def _rollback(
        self, ctx: CollectContext, trust: Trust, rollback: dict[str, Any] | None, store_opt: Any
    ) -> dict[str, Any] | None:
        if rollback is None:
            return None
        target_version = rollback.get("target")
        out: dict[str, Any] = {
            # the version the bundle records once verified; until then the declared target
            "version": str(target_version) if target_version is not None else None,
            "target": str(target_version) if target_version is not None else None,
            "bundle": rollback.get("bundle"),
            "found": False,
            "verified": False,
            "passed": False,
            "version_matches": False,
            "bundle_digest": None,
            "reason": None,
        }
        path: Path | None = None
        if isinstance(rollback.get("bundle"), str):
            path = resolve_inside(ctx.root, rollback["bundle"], what="rollback.bundle")
        elif target_version is not None and store_opt is not None:
            from aigate.bundle.chain import list_bundles

            for candidate in reversed(list_bundles(Path(store_opt))):
                res, _ = _check(trust, candidate)
                if res is not None and res.model_version == str(target_version):
                    path = candidate
                    break
        if path is None or not path.exists():
            out["reason"] = "the rollback target's bundle was not found"
            return out
        out["found"] = True
        out["bundle"] = str(path)
        res, reason = _check(trust, path)
        if res is None:
            out["reason"] = reason
            return out
        out.update(
            verified=True,
            passed=res.decision == "pass",
            version_matches=target_version is None or res.model_version == str(target_version),
            bundle_digest=res.index_digest,
            version=res.model_version,
        )
        return out


def previous_decision_digest(history: dict[str, Any] | None) -> str | None:
    """What this run's bundle chains to: the previous release's decision digest, or None."""
    if not history or not history.get("previous"):
        return None
    digest = history["previous"].get("decision_digest")
    return str(digest) if digest else None


def _recorded_commit(path: Path) -> str | None:
    """The release commit a verified bundle's signed input document records (``git.commit``)."""
    try:
        doc = json.loads(read_bundle(path).get("input.json", b"null"))
    except (AigateError, ValueError):
        return None
    git = doc.get("git") if isinstance(doc, dict) else None
    commit = git.get("commit") if isinstance(git, dict) else None
    return commit if isinstance(commit, str) and len(commit) in (40, 64) else None


def range_anchor(options: dict[str, Any]) -> dict[str, Any]:
    """Where the release range starts: the commit of the newest verified release that passed.

    Read from ``--bundles`` (the chain, verified as a whole) or ``--previous`` (verified alone).
    A failed release does not anchor (its range was never approved: a failing recorded run must
    not move the base past an unapproved change), so the chain is walked back to the newest pass.
    Returns ``{"commit", "bundle", "version", "reason"}``; ``commit`` None when nothing verified.
    """
    from aigate.bundle.chain import list_bundles, verify_chain

    none: dict[str, Any] = {"commit": None, "bundle": None, "version": None}
    store, previous = options.get("bundles"), options.get("previous")
    if store is None and previous is None:
        return {**none, "reason": "no --bundles or --previous: no verified previous release"}
    candidates: list[VerifyResult] = []
    with trust_from_options(options) as trust:
        if store is not None and Path(store).is_dir() and list_bundles(Path(store)):
            try:
                candidates = list(reversed(verify_chain(Path(store), trust).releases))
            except (VerificationFailure, UsageError, InputError) as exc:
                return {**none, "reason": f"the bundle store does not verify: {exc.one_line()}"}
        elif previous is not None and Path(previous).exists():
            res, reason = _check(trust, Path(previous))
            if res is None:
                return {**none, "reason": f"the previous bundle does not verify: {reason}"}
            candidates = [res]
    for res in candidates:
        if res.decision != "pass":
            continue
        commit = _recorded_commit(Path(res.path))
        if commit:
            return {"commit": commit, "bundle": res.path, "version": res.model_version, "reason": None}
    return {**none, "reason": "no verified previous release that passed the gate"}


def release_base(options: dict[str, Any], root: Path, since: str | None) -> dict[str, Any]:
    """The range base of this run (:func:`range_anchor` + ``--since``): ``commit`` (None: the whole
    history), ``basis`` (evidence / declared / none), ``anchor`` (the verified previous release's
    commit, the only revision in-tree policy data is read at), ``bundle``, ``reason``."""
    from aigate.collect.git import resolve_base

    anchor = range_anchor(options)
    base = resolve_base(root, anchor, since)
    return {**base, "anchor": anchor.get("commit"), "bundle": anchor.get("bundle")}
