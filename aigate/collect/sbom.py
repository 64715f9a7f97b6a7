"""SBOM collector (DEP): a CycloneDX 1.6 ML-BOM, ``input.sbom`` summary and ``sbom.cdx.json``.

Built in-process with cyclonedx-python-lib: one ``library`` component per installed
distribution (purl, license, PEP 610 source), the dependency graph from ``Requires-Dist``
(markers evaluated for the target interpreter), the model artifacts as
``machine-learning-model`` components carrying the SHA-256 of their files and a
``modelCard`` (manifest facts, datasets, evaluation metrics), the datasets as ``data``
components, the deployment as ``metadata.component``, and the SBOMs that wheels ship under
``*.dist-info/sboms/`` (PEP 770) as ``bom`` external references (copied into the bundle).

The library has no model for ``modelCard`` or component ``data``: they are added to the
serialized JSON, and the schema check below is what proves them right.

Deterministic: the timestamp is the run's evidence time (``SOURCE_DATE_EPOCH`` or the commit
time, ``ctx.options["timestamp"]``), the serial number is a UUIDv5 of the content, keys are
sorted. Every SBOM is validated against the official 1.6 JSON schema before it is used; an
invalid one is a :class:`CollectorError` (a bug, never a pass). Validation is fast because
the IRI format check is a compiled RFC 3987 expression (:mod:`aigate.collect._iri`) instead
of a lark parser, and the validator is built once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

from aigate import __version__
from aigate.collect import _pyenv
from aigate.collect._iri import format_checker, import_jsonschema, is_iri_reference
from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.collect.licenses import parse_spdx
from aigate.collect.lock import locked_hashes, read_declared_lock
from aigate.errors import CollectorError
from aigate.paths import resolve_inside
from aigate.yamlload import size_limit

SPEC_VERSION = "1.6"


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    """The Draft 7 validator for CycloneDX 1.6 (strict: the schema forbids unknown properties)."""
    jsonschema = import_jsonschema()
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    schema_file = BOM_JSON_STRICT[SchemaVersion.V1_6]
    if schema_file is None:  # pragma: no cover - the library ships it
        raise CollectorError("cyclonedx-python-lib ships no CycloneDX 1.6 JSON schema")

    def load(p: str) -> Any:
        with open(p, encoding="utf-8") as f:
            return json.load(f)

    prefix = "http://cyclonedx.org/schema/"
    registry: Any = Registry().with_resources(
        [
            (f"{prefix}spdx.SNAPSHOT.schema.json", DRAFT7.create_resource(load(SPDX_JSON))),
            (
                f"{prefix}cryptography-defs.SNAPSHOT.schema.json",
                DRAFT7.create_resource(load(CRYPTOGRAPHY_DEFS)),
            ),
            (f"{prefix}jsf-0.82.SNAPSHOT.schema.json", DRAFT7.create_resource(load(JSF))),
        ]
    )
    # uniqueItems: jsonschema compares unhashable items pairwise (O(n^2) deep comparisons:
    # ~0.1 s for 100 components); canonical JSON text in a set gives the same answer in O(n)
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"uniqueItems": _unique_items})
    return cls(load(schema_file), registry=registry, format_checker=format_checker())


def _canonical(value: Any) -> Any:
    """JSON Schema equality as plain data: 1 == 1.0, but true != 1 (JSON text keeps them apart)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(_canonical(item), sort_keys=True)
        if key in seen:
            from jsonschema.exceptions import ValidationError

            yield ValidationError("array has non-unique elements")
            return
        seen.add(key)


def validate_bom(doc: dict[str, Any]) -> list[str]:
    """Schema errors of a CycloneDX 1.6 document (empty list: valid), each ``/json/pointer: message``."""
    errors = []
    for e in _validator().iter_errors(doc):
        pointer = "/" + "/".join(str(p) for p in e.absolute_path)
        errors.append(f"{pointer}: {e.message[:300]}")
    return sorted(errors)


def _timestamp(ctx: CollectContext) -> dt.datetime:
    ts = ctx.options.get("timestamp")
    if not isinstance(ts, int):
        sde = os.environ.get("SOURCE_DATE_EPOCH", "")
        ts = int(sde) if sde.isdigit() else 0  # no wall clock: 1970 says "unknown" honestly
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc)


@functools.lru_cache(maxsize=8192)
def _requirement(text: str) -> Any:
    """A parsed ``Requires-Dist`` value (None when it does not parse); cached: parsing is slow."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _requirement_applies(req: Any, markers: dict[str, str] | None) -> bool:
    if req.marker is None or markers is None:
        return req.marker is None or markers is None
    try:
        return bool(req.marker.evaluate({**markers, "extra": ""}))
    except Exception:
        return True


_CDX_ALG = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b_256": "BLAKE2b-256",
}


def _component_hashes(d: _pyenv.Dist, locked: dict[str, str]) -> tuple[list[Any], str | None]:
    """The installed artifact's hashes and where they come from.

    PEP 610 ``direct_url.json`` ``archive_info.hashes`` (what the installer verified) first, else
    the lock file's hashes for the wheel that was installed. A value that is not hex of the
    algorithm's length is not carried (a schema-valid SBOM, not a copied typo).
    """
    from cyclonedx.model import HashAlgorithm, HashType

    du = d.direct_url or {}
    raw_ai = du.get("archive_info")
    ai: dict[str, Any] = raw_ai if isinstance(raw_ai, dict) else {}
    found: dict[str, str] = {}
    basis = None
    if isinstance(ai.get("hashes"), dict):
        found = {str(k).lower(): str(v).lower() for k, v in ai["hashes"].items()}
        basis = "direct_url.json"
    elif isinstance(ai.get("hash"), str) and "=" in ai["hash"]:
        alg, _, value = ai["hash"].partition("=")
        found, basis = {alg.lower(): value.lower()}, "direct_url.json"
    if not found and locked:
        found, basis = locked, "lockfile"
    out = []
    for alg, value in sorted(found.items()):
        cdx = _CDX_ALG.get(alg.replace("-", "_"))
        if cdx is None or not re.fullmatch(r"[0-9a-f]{32,128}", value):
            continue
        out.append(HashType(alg=HashAlgorithm(cdx), content=value))
    return out, (basis if out else None)


def _dist_component(d: _pyenv.Dist, sha_of: dict[str, str], locked: dict[str, str] | None = None) -> Any:
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        HashAlgorithm,
        HashType,
        Property,
        XsUri,
    )
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from packageurl import PackageURL

    licenses: list[Any] = []
    expr = d.first("License-Expression")
    parsed = parse_spdx(expr) if expr else None
    if parsed is None and d.first("License"):
        parsed = parse_spdx(d.first("License") or "")
    if parsed is not None:
        licenses.append(LicenseExpression(str(parsed)))
    else:
        licenses.extend(
            DisjunctiveLicense(name=c.rsplit(" :: ", 1)[-1])
            for c in sorted(set(d.metadata.get("classifier", [])))
            if c.startswith("License ::")
        )
    qualifiers: dict[str, str] = {}
    refs: list[Any] = []
    du = d.direct_url or {}
    url = du.get("url") if isinstance(du.get("url"), str) else None
    if isinstance(du.get("vcs_info"), dict) and url:
        vcs = du["vcs_info"]
        qualifiers["vcs_url"] = f"{vcs.get('vcs')}+{url}@{vcs.get('commit_id')}"
        refs.append(
            ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(url), comment=vcs.get("commit_id"))
        )
    elif url and "://files.pythonhosted.org/" not in url and not url.startswith("file:"):
        qualifiers["download_url"] = url
        refs.append(ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(url)))
    for sbom in d.sboms:
        rel = Path(sbom).name
        refs.append(
            ExternalReference(
                type=ExternalReferenceType.BOM,
                url=XsUri(f"sboms/{d.normalized}-{d.version}/{rel}"),
                comment="PEP 770 SBOM shipped in the wheel (copied into the evidence bundle)",
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha_of[sbom])],
            )
        )
    props = [Property(name="aigate:record_sha256", value=d.record_sha256)] if d.record_sha256 else []
    hashes, hash_basis = _component_hashes(d, locked or {})
    if hash_basis:
        props.append(Property(name="aigate:hash_source", value=hash_basis))
    if d.installer:
        props.append(Property(name="aigate:installer", value=d.installer))
    local = url is not None and url.startswith("file:")
    return Component(
        type=ComponentType.LIBRARY,
        bom_ref=f"pypi:{d.normalized}@{d.version}",
        name=d.name,
        version=d.version,
        description=(d.first("Summary") or None),
        # a local build is still this PyPI name and version; its file name (not the machine's
        # path) says which artifact it was
        purl=PackageURL(
            type="pypi",
            name=d.normalized,
            version=d.version,
            qualifiers={"file_name": url.rsplit("/", 1)[-1]} if local and url else qualifiers,
        ),
        licenses=licenses,
        hashes=hashes,
        external_references=refs,
        properties=props,
    )


def _metrics(ctx: CollectContext) -> dict[str, Any] | None:
    ev = ctx.options.get("evidence") or {}
    reports = ev.get("reports") if isinstance(ev.get("reports"), dict) else None
    if reports and isinstance(reports.get("metrics"), dict):
        m: dict[str, Any] = reports["metrics"]
        inner = m.get("metrics")
        return inner if isinstance(inner, dict) else m
    rel = (
        (ctx.manifest.get("evaluation") or {}) if isinstance(ctx.manifest.get("evaluation"), dict) else {}
    ).get("metrics")
    if not isinstance(rel, str):
        return None
    path = resolve_inside(ctx.root, rel, what="evaluation metrics (/evaluation/metrics)")
    try:
        if path.stat().st_size > size_limit("metrics", ctx.policy_data):
            return None  # the reports collector owns errors about this file (and its size cap)
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the reports collector owns errors about this file
    if isinstance(doc, dict):
        inner = doc.get("metrics")
        return inner if isinstance(inner, dict) else doc
    return None


def _hashes(files: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"alg": "SHA-256", "content": files[0]["sha256"]}] if len(files) == 1 else []


def _scan_properties(safety: dict[str, Any]) -> list[dict[str, str]]:
    """The MODELSAFE scan result of a model component: scanner, imported callables, problems."""
    callables: set[str] = set()
    problems = 0
    for f in safety.get("findings") or []:
        if isinstance(f, dict):
            callables.update(str(i.get("callable")) for i in f.get("imports") or [] if isinstance(i, dict))
            problems += len(f.get("problems") or [])
    props = [{"name": "aigate:safety:scanner", "value": str(safety.get("scanner", "none"))}]
    if callables:
        props.append({"name": "aigate:safety:imports", "value": " ".join(sorted(callables)[:200])})
    if problems:
        props.append({"name": "aigate:safety:problems", "value": str(problems)})
    return props


def _nested_files(a: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``file`` sub-component per file of a multi-file (directory) artifact."""
    if len(a["files"]) == 1 and not a.get("is_dir"):
        return []
    return [
        {
            "type": "file",
            "bom-ref": f"file:{f['path']}",
            "name": f["path"],
            "hashes": [{"alg": "SHA-256", "content": f["sha256"]}],
        }
        for f in a["files"]
    ]


def _local_data_component(a: dict[str, Any], ds: dict[str, Any], version: str) -> dict[str, Any]:
    """A dataset in the project: hashed like a model artifact."""
    comp: dict[str, Any] = {
        "type": "data",
        "bom-ref": f"data:{a['path']}",
        "name": str(ds.get("name") or a["path"]),
        "version": str(ds.get("version") or version),
        "data": [
            {
                "type": "dataset",
                "name": str(ds.get("name") or a["path"]),
                "contents": {"url": a["path"]},
                **({"description": f"{ds['purpose']} dataset"} if ds.get("purpose") else {}),
            }
        ],
        "properties": [
            {"name": "aigate:path", "value": a["path"]},
            {"name": "aigate:files_sha256", "value": a["sha256"]},
            {"name": "aigate:size", "value": str(a["size"])},
        ],
    }
    if h := _hashes(a["files"]):
        comp["hashes"] = h
    if kids := _nested_files(a):
        comp["components"] = kids
    return comp


def _remote_data_component(ds: dict[str, Any]) -> dict[str, Any]:
    """A dataset named in the manifest but not in the project: a data component without hashes."""
    entry: dict[str, Any] = {"type": "dataset", "name": str(ds["name"])}
    url = ds.get("url")
    if isinstance(url, str) and is_iri_reference(url):
        entry["contents"] = {"url": url}
    if ds.get("purpose"):
        entry["description"] = f"{ds['purpose']} dataset"
    return {
        "type": "data",
        "bom-ref": f"data:{ds['name']}",
        "name": str(ds["name"]),
        **({"version": str(ds["version"])} if ds.get("version") else {}),
        "data": [entry],
        "properties": [{"name": "aigate:remote", "value": "true"}]
        + ([{"name": "aigate:url", "value": url}] if isinstance(url, str) else []),
    }


def _model_card(
    a: dict[str, Any], model: dict[str, Any], params: dict[str, Any], perf: list[dict[str, Any]]
) -> dict[str, Any]:
    card: dict[str, Any] = {"bom-ref": f"modelcard:{a['path']}"}
    if params:
        card["modelParameters"] = params
    if perf:
        card["quantitativeAnalysis"] = {"performanceMetrics": perf}
    card_props = [{"name": "aigate:format", "value": a["format"]}]
    if isinstance(model.get("card"), str):
        card_props.append({"name": "aigate:model_card", "value": model["card"]})
    card["properties"] = card_props
    return card


def _model_component(
    a: dict[str, Any], model: dict[str, Any], name: str, version: str, card: dict[str, Any]
) -> dict[str, Any]:
    comp: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": f"model:{a['path']}",
        "name": name,
        "version": version,
        "modelCard": card,
        "properties": [
            {"name": "aigate:path", "value": a["path"]},
            {"name": "aigate:files_sha256", "value": a["sha256"]},
            {"name": "aigate:safety", "value": a["safety"]["status"]},
            {"name": "aigate:size", "value": str(a["size"])},
            *_scan_properties(a["safety"]),
        ],
    }
    if h := _hashes(a["files"]):
        comp["hashes"] = h
    if isinstance(model.get("license"), str):
        parsed = parse_spdx(model["license"])
        comp["licenses"] = (
            [{"expression": str(parsed)}] if parsed is not None else [{"license": {"name": model["license"]}}]
        )
    if kids := _nested_files(a):
        comp["components"] = kids
    return comp


def _performance_metrics(ctx: CollectContext) -> list[dict[str, Any]]:
    metrics = _metrics(ctx) or {}
    return [
        {"type": str(k), "value": json.dumps(v) if not isinstance(v, str) else v}
        for k, v in sorted(metrics.items())
        if isinstance(v, (int, float, str)) and not isinstance(v, bool)
    ]


def _artifact_components(
    ctx: CollectContext, artifacts: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(model components, data components) as CycloneDX JSON, including ``modelCard`` and ``data``."""
    model: dict[str, Any] = m if isinstance(m := ctx.manifest.get("model"), dict) else {}
    name = str(model.get("name") or (ctx.manifest.get("metadata") or {}).get("name") or "model")
    version = str(model.get("version") or "0")
    datasets = {d.get("path"): d for d in (model.get("datasets") or []) if isinstance(d, dict)}
    data_components = [
        _local_data_component(a, datasets.get(a["path"]) or {}, version)
        for a in artifacts
        if a["kind"] == "data"
    ]
    data_components += [
        _remote_data_component(ds)
        for ds in model.get("datasets") or []
        if isinstance(ds, dict) and not ds.get("path") and ds.get("name")
    ]
    params: dict[str, Any] = {}
    if data_components:
        params["datasets"] = [{"ref": c["bom-ref"]} for c in data_components]
    if isinstance(model.get("task"), str):
        params["task"] = model["task"]
    if isinstance(model.get("architecture"), str):
        params["architectureFamily"] = model["architecture"]
    perf = _performance_metrics(ctx)
    model_components = [
        _model_component(a, model, name, version, _model_card(a, model, params, perf))
        for a in artifacts
        if a["kind"] != "data"
    ]
    return model_components, data_components


def _locked_entries(ctx: CollectContext) -> dict[str, dict[str, Any]]:
    declared = read_declared_lock(ctx)
    return declared[3] if declared else {}


def build_sbom(
    ctx: CollectContext, artifacts: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(the CycloneDX document, extra bundle files: PEP 770 SBOMs)."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    interp, dists = _pyenv.inspect(ctx.python)
    markers = interp.facts.get("markers")
    extra: dict[str, bytes] = {}
    sha_of: dict[str, str] = {}
    for d in dists:
        for s in d.sboms:
            raw = Path(s).read_bytes()
            sha_of[s] = hashlib.sha256(raw).hexdigest()
            extra[f"sboms/{d.normalized}-{d.version}/{Path(s).name}"] = raw
    meta_name = str((ctx.manifest.get("metadata") or {}).get("name") or "deployment")
    model: dict[str, Any] = m if isinstance(m := ctx.manifest.get("model"), dict) else {}
    deployment = Component(
        type=ComponentType.APPLICATION,
        bom_ref="deployment",
        name=meta_name,
        version=str(model.get("version") or "0"),
        properties=[Property(name="aigate:manifest_sha256", value=ctx.manifest_digest)],
    )
    from packageurl import PackageURL

    tool = Component(
        type=ComponentType.APPLICATION,
        name="aigate",
        version=__version__,
        purl=PackageURL(type="pypi", name="aigate", version=__version__),
    )
    metadata = BomMetaData(component=deployment, timestamp=_timestamp(ctx))
    metadata.tools.components.add(tool)
    bom = Bom(metadata=metadata, serial_number=uuid.UUID(int=0))
    locked = _locked_entries(ctx)
    for d in dists:
        entry = locked.get(d.normalized)
        bom.components.add(_dist_component(d, sha_of, locked_hashes(entry, d) if entry else None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns about the graph it was not given
        doc = json.loads(JsonV1Dot6(bom).output_as_string())
    # The dependency graph is written here rather than through Bom.register_dependency, whose
    # linear search per registration made it the slowest step (O(n^2) in the package count).
    refs = {d.normalized: f"pypi:{d.normalized}@{d.version}" for d in dists}
    deps_list: list[dict[str, Any]] = []
    for d in dists:
        targets: set[str] = set()
        for r in d.requires:
            req = _requirement(r)
            if req is None:
                continue
            target = refs.get(_pyenv.normalize(req.name))
            if target is not None and target != refs[d.normalized] and _requirement_applies(req, markers):
                targets.add(target)
        deps_list.append({"ref": refs[d.normalized], **({"dependsOn": sorted(targets)} if targets else {})})
    doc["dependencies"] = deps_list
    models, datas = _artifact_components(ctx, artifacts)
    doc.setdefault("components", []).extend(models + datas)
    top = [c["bom-ref"] for c in models + datas] + [
        f"pypi:{d.normalized}@{d.version}" for d in dists if d.requested
    ]
    deps_list.append({"ref": "deployment", "dependsOn": sorted(set(top))})
    for m in models:
        deps_list.append({"ref": m["bom-ref"], "dependsOn": sorted(c["bom-ref"] for c in datas)})
    for c in datas:
        deps_list.append({"ref": c["bom-ref"]})
    deps_list.sort(key=lambda x: x["ref"])
    doc.pop("serialNumber", None)
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    doc["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'aigate-sbom:' + digest)}"
    return doc, extra


def sbom_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def summarize(doc: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """``input.sbom``: counts and the model/data components only (policies stay fast at 5,000 packages)."""
    comps = doc.get("components") or []

    def sha(c: dict[str, Any]) -> str | None:
        for h in c.get("hashes") or []:
            if h.get("alg") == "SHA-256":
                return str(h["content"])
        return None

    def prop(c: dict[str, Any], name: str) -> str | None:
        for p in c.get("properties") or []:
            if p.get("name") == name:
                return str(p.get("value"))
        return None

    def entry(c: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": c.get("name"),
            "version": c.get("version"),
            "bom_ref": c.get("bom-ref"),
            "path": prop(c, "aigate:path"),
            # a file's SHA-256, or for a directory the SHA-256 of its sha256sum-format file list
            "sha256": sha(c) or prop(c, "aigate:files_sha256"),
            "sha256_of": "file" if sha(c) else "file-list",
            "files_sha256": prop(c, "aigate:files_sha256"),
            "files": [{"path": k.get("name"), "sha256": sha(k)} for k in c.get("components") or []],
            "has_model_card": "modelCard" in c,
        }

    return {
        "spec_version": doc.get("specVersion"),
        "valid": True,
        "components_count": len(comps),
        "packages_count": sum(1 for c in comps if c.get("type") == "library"),
        "models": [entry(c) for c in comps if c.get("type") == "machine-learning-model"],
        "datasets": [entry(c) for c in comps if c.get("type") == "data"],
        "dependencies_count": len(doc.get("dependencies") or []),
        "serial_number": doc.get("serialNumber"),
        "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
    }


def collect_sbom(ctx: CollectContext) -> tuple[dict[str, Any], dict[str, bytes]]:
    ev = ctx.options.get("evidence") or {}
    artifacts = ev.get("artifacts")
    if not isinstance(artifacts, list):
        from aigate.collect.artifacts import collect_artifacts

        artifacts = collect_artifacts(ctx.root, ctx.manifest, ctx.manifest_path)
    doc, extra = build_sbom(ctx, artifacts)
    errors = validate_bom(doc)
    if errors:
        raise CollectorError(
            f"generated SBOM is not valid CycloneDX {SPEC_VERSION}: {errors[0]} ({len(errors)} error(s))",
            hint="this is an aigate bug; please report it with the manifest",
        )
    raw = sbom_bytes(doc)
    return summarize(doc, raw), {"sbom.cdx.json": raw, **extra}


class SbomCollector(Collector):
    """``input.sbom`` and ``sbom.cdx.json`` (run after the artifacts collector to reuse its digests)."""

    key = "sbom"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path")
        data, files = collect_sbom(ctx)
        return Evidence(self.key, data, files=files)
