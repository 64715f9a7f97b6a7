"""Turn a gate result into an evidence bundle: render its files, sign, write atomically.

A dry run writes a bundle only where ``--bundle-dir`` asks, and never signs it. A recorded run
always writes one (default ``aigate-bundle``), signs it as ``--sign`` says, and fails closed in CI
when it cannot sign unless the organisation's policy data allows unsigned evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from aigate.collect.ci import detect_ci
from aigate.findings import Decision
from aigate.gate import CheckConfig, CheckResult
from aigate.report.interface import BundleInfo, ReportContext

_IMAGE_DIGEST = re.compile(r"^(?P<repo>[^@\s]+?)(?::[^/@:]+)?@(?P<digest>sha256:[0-9a-f]{64})$")


def resource_uri(manifest: dict[str, Any]) -> str:
    """The VSA ``resourceUri``: a URI naming what was verified (SLSA VSA v1 requires a URI).

    The serving image pinned by digest is the released resource (``pkg:oci/NAME@sha256:...`` with
    its repository); without one, the model as a generic package (``pkg:generic/NAME@VERSION``).
    """
    from packageurl import PackageURL

    serving = manifest.get("serving") if isinstance(manifest.get("serving"), dict) else {}
    image = str((serving or {}).get("image") or "")
    m = _IMAGE_DIGEST.match(image)
    if m:
        repo = m.group("repo")
        name = repo.rsplit("/", 1)[-1]
        return PackageURL(
            type="oci", name=name.lower(), version=m.group("digest"), qualifiers={"repository_url": repo}
        ).to_string()
    model = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    name = str((model or {}).get("name") or "model")
    version = str((model or {}).get("version") or "") or None
    return PackageURL(type="generic", name=name, version=version).to_string()


DEFAULT_BUNDLE_DIR = "aigate-bundle"


def _json(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _model_artifacts(input_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file of every ``kind: model`` artifact, with its digest (subjects of the statement)."""
    out: list[dict[str, Any]] = []
    for art in input_doc.get("artifacts") or []:
        if art.get("kind", "model") != "model":
            continue
        for f in art.get("files") or []:
            out.append({"path": f["path"], "sha256": f["sha256"], "size": f["size"]})
    return sorted(out, key=lambda a: a["path"])


def decision_document(result: CheckResult, previous_digest: str | None) -> dict[str, Any]:
    from aigate.report.json_ import document

    doc = document(result.report)
    manifest = result.input_doc.get("manifest") or {}
    model = manifest.get("model") or {}
    doc.pop("bundle", None)  # the bundle is named by its own index; decision.json lives inside it
    doc.update(
        {
            "model": {"name": model.get("name"), "version": model.get("version")},
            "artifacts": _model_artifacts(result.input_doc),
            "policy_digest": result.policy_set_digest,
            "previous_decision_digest": previous_digest,
            "manifest_digest": "sha256:" + (result.manifest.digest if result.manifest else ""),
        }
    )
    return doc


def bundle_files(result: CheckResult, previous_digest: str | None) -> dict[str, bytes]:
    from aigate.report import render

    files: dict[str, bytes] = {}
    for ev in result.evidence.values():
        files.update(ev.files)
    files["input.json"] = _json(result.input_doc)
    if result.manifest is not None:
        files["manifest.yaml"] = result.manifest.raw
    files["report.md"] = render("markdown", result.report).encode("utf-8")
    decision = decision_document(result, previous_digest)
    decision["inputs"] = {
        name: "sha256:" + hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())
    }
    files["decision.json"] = _json(decision)
    return files


def maturity_levels(decision: Decision) -> dict[str, int]:
    return {m.stream: m.level for m in decision.maturity}


def record(config: CheckConfig, result: CheckResult) -> CheckResult:
    """Write (and, on a recorded run, sign) the bundle; return the result with ``report.bundle`` set."""
    if config.dry_run and not config.bundle_dir:
        return result
    from aigate.bundle.writer import Artifact, BundleRequest, levels, write_bundle
    from aigate.collect.history import previous_decision_digest
    from aigate.sign import SigningMode, require_signing

    mode = SigningMode.parse("none" if config.dry_run else config.sign)
    policy_data = result.policy_data
    require_signing(
        mode, dry_run=config.dry_run, in_ci=detect_ci(os.environ) is not None, policy_data=policy_data
    )
    previous = previous_decision_digest(result.input_doc.get("history"))
    files = bundle_files(result, previous)
    manifest = result.input_doc.get("manifest") or {}
    model = manifest.get("model") or {}
    dest = Path(config.bundle_dir or DEFAULT_BUNDLE_DIR)
    if not dest.is_absolute():
        dest = Path.cwd() / dest
    request = BundleRequest(
        files=files,
        artifacts=[Artifact(a["path"], a["sha256"], a["size"]) for a in _model_artifacts(result.input_doc)],
        model_name=str(model.get("name", "")),
        model_version=str(model.get("version", "")),
        policy_digest=result.policy_set_digest,
        previous_decision_digest=previous,
        evidence_time=int(result.input_doc["aigate"]["now_epoch"]),
        passed=result.decision.passed,
        verified_levels=levels(maturity_levels(result.decision)),
        resource_uri=resource_uri(manifest),
        signing=mode,
        project_root=config.root.resolve(),
        allow_unsigned=config.dry_run or policy_data.get("allow_unsigned_evidence") is True,
    )
    tar = dest.with_name(dest.name + ".tar.gz") if config.tarball else None
    written = write_bundle(dest, request, tarball=tar)
    info = BundleInfo(str(written.path), written.index_digest)
    report: ReportContext = replace(result.report, bundle=info)
    return replace(result, report=report)
