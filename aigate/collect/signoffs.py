"""The ``signoffs`` collector: approvals recorded in git, verified and counted (issue 4).

Fills ``input.signoffs`` and contributes ``signoffs.json`` (every approval found, with why it
counted or not). The work is done by :func:`aigate.signoff.check_signoffs`; this module only
maps the gate's context onto it.

Options read from ``ctx.options["signoffs"]`` (all optional), set by the CLI:

- ``base``: the range base commit (``"root"``: the whole history), chosen by the gate from the
  previous release's verified decision (never a tag; docs/signoffs.md), and ``basis``
  (``evidence``, ``declared`` for a ``--since`` without a verified release, ``none``);
- ``policy_paths``: the ``--data`` files and ``--policy`` directories, so that a release that
  changes them needs the policy-change approval;
- ``key_paths``: key files the policy data names (``policy_bundles.verification_key``), watched
  the same way (a key rotated in the range needs the policy-change approval);
- ``model_digest``: a precomputed model digest.

Without ``model_digest``, the per-file SHA-256 the artifacts collector already computed in this
run (``ctx.options["evidence"]["artifacts"]``) is reused when it covers exactly the files of the
model digest, so a large model is not read twice; otherwise the files are hashed here. The
``--since`` revision of ``aigate check`` (``ctx.options["since"]``) sets the range base.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.signoff.digests import (
    artifact_files,
    deployed_files,
    model_digest,
    model_digest_from_entries,
    normalize_digest,
)
from aigate.signoff.evaluate import RangeOptions, ReleaseSubject, check_signoffs
from aigate.signoff.gitcmd import GitRunner


def _inside(root: Path, path: str) -> str | None:
    p = Path(path)
    p = (p if p.is_absolute() else Path.cwd() / p).resolve()
    try:
        return p.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None  # outside the project: not versioned with the release, cannot change in its range


def base_approvals_loader(policy_files: list[str]) -> Any:
    """A loader of policy data ``approvals`` as committed at a given revision.

    Reads each policy data file of the project with ``git show <rev>:./<path>`` and merges them
    over the built-in defaults exactly like :func:`aigate.policydata.load_policy_data`. A file
    missing at that revision is skipped; no file at all gives ``None`` (no earlier list).
    """

    def load(runner: GitRunner, rev: str) -> Any:
        from aigate.policydata import DATA_LIMITS, deep_merge, default_data
        from aigate.yamlload import load_yaml_documents

        merged: dict[str, Any] | None = None
        for rel in policy_files:
            res = runner.run(["show", f"{rev}:./{rel}"])
            if res.status != 0:
                continue
            docs = load_yaml_documents(res.stdout, f"{rev[:12]}:{rel}", limits=DATA_LIMITS, multi=False)
            if not docs or not isinstance(docs[0].data, dict):
                continue
            if merged is None:
                merged = default_data().data
            merged = deep_merge(merged, docs[0].data)
        return merged.get("approvals") if merged is not None else None

    return load


def _digest_from_evidence(ctx: CollectContext, rels: list[str]) -> str | None:
    """The model digest from the artifacts collector's hashes, when they cover every file."""
    evidence = ctx.options.get("evidence")
    artifacts = evidence.get("artifacts") if isinstance(evidence, Mapping) else None
    if not isinstance(artifacts, list):
        return None
    known: dict[str, str] = {}
    for art in artifacts:
        for f in (art.get("files") or []) if isinstance(art, Mapping) else []:
            if isinstance(f, Mapping) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str):
                known[f["path"]] = f["sha256"]
    if not rels or any(r not in known for r in rels):
        return None
    return model_digest_from_entries((r, known[r]) for r in rels)


class SignoffsCollector(Collector):
    key = "signoffs"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path: sign-offs are not collected")
        opts: Mapping[str, Any] = ctx.options.get("signoffs") or {}
        approvals = ctx.policy_data.get("approvals") if isinstance(ctx.policy_data, Mapping) else None
        model = ctx.manifest.get("model") or {}
        root = ctx.root.resolve()
        files = artifact_files(root, ctx.manifest)
        watched = [rel for rel, _ in files]
        manifest_rel = _inside(root, str(ctx.manifest_path))
        if manifest_rel:
            watched.append(manifest_rel)
        policy_paths = [r for r in (_inside(root, p) for p in opts.get("policy_paths") or ()) if r]
        key_paths = [r for r in (_inside(root, p) for p in opts.get("key_paths") or ()) if r]
        digest = (
            opts.get("model_digest")
            or _digest_from_evidence(ctx, [rel for rel, _ in files])
            or model_digest(root, ctx.manifest)
        )
        subject = ReleaseSubject(
            model=str(model.get("name") or ""),
            version=str(model.get("version") or ""),
            model_digest=digest,
            manifest_digest=normalize_digest(ctx.manifest_digest),
            watched_paths=tuple(watched),
            policy_paths=tuple(policy_paths + [k for k in key_paths if k not in policy_paths]),
            deployed_paths=tuple(deployed_files(root, ctx.manifest)),
        )
        # the range base is chosen by gate.py (the previous verified release's commit), never a tag
        range_options = RangeOptions(
            base=str(opts.get("base") or "root"), basis=str(opts.get("basis") or "none")
        )
        data_files = [p for p in policy_paths if (root / p).is_file()]
        result = check_signoffs(
            root,
            subject,
            approvals,
            range_options=range_options,
            base_approvals_loader=base_approvals_loader(data_files),
        )
        return Evidence(self.key, result.to_input(), files={"signoffs.json": result.to_json_bytes()})
