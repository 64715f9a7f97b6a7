"""``input.history``: the previous release, the rollback target, the fallback and the decision chain.

Sources (flags reach the collector through ``ctx.options``):

- ``previous``: a bundle path (``--previous BUNDLE``): the previous release;
- ``bundles``: a bundle store directory (``--bundles DIR``): the chain is verified and its
  newest release is the previous one;
- the manifest's ``rollback.bundle`` (project-relative) or ``rollback.target`` (a version
  looked up in the store);
- the manifest's ``resilience.fallback.bundle`` (project-relative) or, with ``--bundles``, the
  store's newest verifying bundle of ``resilience.fallback.model`` (and ``version``): the
  fallback release (``fallback``: found, verified, passed, model, version, model_matches,
  version_matches, bundle_digest, reason), verified with the same trust as the history.

Who must have signed those bundles comes from ``verify_key`` (a public key path), or
``identity``/``issuer``/``repository``/``trusted_root`` (keyless), or is derived from
``sign`` = ``key:PATH`` (the key this run signs with). Nothing here is a pass by default: a
bundle that does not verify is reported ``verified: false`` with the reason, and the ROLLBACK,
RESILIENCE, AUDIT and AUDITREADY policies deny on it. On the fast path (``--fast``) nothing is
verified and ``input.history`` is null, so those controls rest on declarations only. Only a path
the user named that does not exist is an input error (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
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
        resilience = ctx.manifest.get("resilience")
        fallback = resilience.get("fallback") if isinstance(resilience, dict) else None
        fallback = fallback if isinstance(fallback, dict) else None
        if previous_opt is None and store_opt is None and rollback is None and fallback is None:
            return Evidence(
                self.key, None, skipped="no --previous, --bundles, rollback section or resilience.fallback"
            )
        with trust_from_options(opts) as trust:
            previous, chain = self._previous(trust, previous_opt, store_opt)
            target = self._rollback(ctx, trust, rollback, store_opt)
            fallback_release = self._fallback(ctx, trust, fallback, store_opt)
        data = {"previous": previous, "rollback_target": target, "chain": chain, "fallback": fallback_release}
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
        target = str(target_version) if target_version is not None else None
        found = find_release(
            ctx,
            trust,
            rollback.get("bundle"),
            "rollback.bundle",
            store_opt if target is not None else None,
            lambda res: res.model_version == target,
        )
        out: dict[str, Any] = {
            # the version the bundle records once verified; until then the declared target
            "version": target,
            "target": target,
            "bundle": rollback.get("bundle"),
            "found": False,
            "verified": False,
            "passed": False,
            "version_matches": False,
            "bundle_digest": None,
            "reason": "the rollback target's bundle was not found",
        }
        out.update({k: v for k, v in found.items() if k != "model" and (k != "version" or v is not None)})
        if found.get("verified"):
            out["version_matches"] = target is None or found["version"] == target
        return out

    def _fallback(
        self, ctx: CollectContext, trust: Trust, fallback: dict[str, Any] | None, store_opt: Any
    ) -> dict[str, Any] | None:
        """The declared fallback model's own release bundle: found, verified, passed, and of that
        model and version (RESILIENCE denies on each)."""
        if fallback is None:
            return None
        model = str(fallback["model"]) if fallback.get("model") is not None else None
        version = str(fallback["version"]) if fallback.get("version") is not None else None
        found = find_release(
            ctx,
            trust,
            fallback.get("bundle"),
            "resilience.fallback.bundle",
            store_opt if model is not None else None,
            lambda res: res.model_name == model and (version is None or res.model_version == version),
        )
        out: dict[str, Any] = {
            "declared_model": model,
            "declared_version": version,
            "model": None,
            "version": None,
            "bundle": fallback.get("bundle"),
            "found": False,
            "verified": False,
            "passed": False,
            "model_matches": False,
            "version_matches": False,
            "bundle_digest": None,
            "reason": (
                "the fallback's bundle was not found"
                if fallback.get("bundle") is not None or store_opt is not None
                else "no resilience.fallback.bundle declared and no --bundles store to look it up in"
            ),
        }
        out.update(found)
        if found.get("verified"):
            out["model_matches"] = found["model"] == model
            out["version_matches"] = version is None or found["version"] == version
        return out


def find_release(
    ctx: CollectContext,
    trust: Trust,
    declared: Any,
    what: str,
    store_opt: Any,
    wanted: Callable[[VerifyResult], bool],
) -> dict[str, Any]:
    """Find and verify one release bundle: the project-relative ``declared`` path (``what`` names the
    manifest field), else the newest bundle of the ``--bundles`` store that verifies and is
    ``wanted``. Returns only the keys it established: ``found``/``bundle`` once a bundle exists,
    ``verified``/``passed``/``model``/``version``/``bundle_digest`` once it verifies, ``reason``
    when it stopped short. A bundle that does not verify is never read for its claims."""
    path: Path | None = None
    if isinstance(declared, str):
        path = resolve_inside(ctx.root, declared, what=what)
    elif store_opt is not None and Path(store_opt).is_dir():
        from aigate.bundle.chain import list_bundles

        matches: list[tuple[str, str, Path]] = []
        for candidate in list_bundles(Path(store_opt)):
            res, _ = _check(trust, candidate)
            if res is not None and wanted(res):
                matches.append((res.evidence_time or "", candidate.name, candidate))
        if matches:
            path = max(matches)[2]
    if path is None or not path.exists():
        return {"found": False}
    out: dict[str, Any] = {"found": True, "bundle": str(path)}
    res, reason = _check(trust, path)
    if res is None:
        return {**out, "verified": False, "reason": reason or "does not verify"}
    return {
        **out,
        "verified": True,
        "passed": res.decision == "pass",
        "model": res.model_name,
        "version": res.model_version,
        "bundle_digest": res.index_digest,
        "reason": None,
    }


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
