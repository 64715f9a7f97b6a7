"""The CycloneDX 1.6 ML-BOM: schema-valid (cyclonedx-python-lib strict validator), complete, deterministic."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aigate.collect._iri import is_iri, is_iri_reference
from aigate.collect.artifacts import ArtifactsCollector
from aigate.collect.sbom import SbomCollector, validate_bom

_CDX_VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
print("VALID" if err is None else f"INVALID {err}")
"""


@pytest.fixture
def ml_project(make_ctx: Any, safetensors_writer: Any) -> Any:
    manifest = {
        "metadata": {"name": "fraud-detector"},
        "model": {
            "name": "fraud-detector",
            "version": "1.4.0",
            "format": "safetensors",
            "task": "binary-classification",
            "card": "MODEL_CARD.md",
            "artifacts": [
                {"path": "model/model.safetensors", "kind": "model"},
                {"path": "tokenizer", "kind": "model"},
            ],
            "datasets": [{"name": "transactions-2026q3", "path": "data/eval.csv"}],
        },
        "evaluation": {"metrics": "reports/metrics.json"},
    }
    ctx = make_ctx(manifest)
    safetensors_writer(ctx.root / "model" / "model.safetensors", n=64)
    (ctx.root / "tokenizer").mkdir()
    (ctx.root / "tokenizer" / "vocab.json").write_text('{"a": 1}')
    (ctx.root / "tokenizer" / "merges.txt").write_text("a b\n")
    (ctx.root / "data").mkdir()
    (ctx.root / "data" / "eval.csv").write_text("amount,label\n1.0,0\n")
    (ctx.root / "reports").mkdir()
    (ctx.root / "reports" / "metrics.json").write_text(json.dumps({"metrics": {"auc": 0.93, "recall": 0.81}}))
    ctx.options["evidence"] = {"artifacts": ArtifactsCollector().collect(ctx).data}
    return ctx


def test_sbom_valid_complete_and_hashed(ml_project: Any, tmp_path: Path) -> None:
    ev = SbomCollector().collect(ml_project)
    raw = ev.files["sbom.cdx.json"]
    doc = json.loads(raw)
    out = tmp_path / "sbom.cdx.json"
    out.write_bytes(raw)
    # cyclonedx-python-lib's strict 1.6 validator, in a fresh interpreter (its own IRI checker)
    res = subprocess.run(
        [sys.executable, "-c", _CDX_VALIDATE, str(out)], capture_output=True, text=True, check=True
    )
    assert res.stdout.strip() == "VALID", res.stdout + res.stderr
    assert doc["specVersion"] == "1.6" and doc["metadata"]["component"]["name"] == "fraud-detector"
    # component count = installed distributions (pip list) + model and data components
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    installed = len(json.loads(pip.stdout))
    types = [c["type"] for c in doc["components"]]
    assert types.count("library") == installed
    assert types.count("machine-learning-model") == 2 and types.count("data") == 1
    assert len(doc["components"]) == installed + 3
    assert ev.data["components_count"] == installed + 3 and ev.data["packages_count"] == installed
    # each model component's SHA-256 equals sha256sum of the file
    model = next(c for c in doc["components"] if c["bom-ref"] == "model:model/model.safetensors")
    s = subprocess.run(
        ["sha256sum", "model/model.safetensors"], cwd=ml_project.root, capture_output=True, text=True
    )
    assert model["hashes"] == [{"alg": "SHA-256", "content": s.stdout.split()[0]}]
    tok = next(c for c in doc["components"] if c["bom-ref"] == "model:tokenizer")
    s = subprocess.run(
        ["sha256sum", "tokenizer/merges.txt", "tokenizer/vocab.json"],
        cwd=ml_project.root,
        capture_output=True,
        text=True,
    )
    assert {(k["name"], k["hashes"][0]["content"]) for k in tok["components"]} == {
        (line.split("  ")[1], line.split("  ")[0]) for line in s.stdout.splitlines()
    }
    # model card: task, datasets as references to data components, evaluation metrics
    card = model["modelCard"]
    assert card["modelParameters"]["task"] == "binary-classification"
    assert card["modelParameters"]["datasets"] == [{"ref": "data:data/eval.csv"}]
    assert card["quantitativeAnalysis"]["performanceMetrics"] == [
        {"type": "auc", "value": "0.93"},
        {"type": "recall", "value": "0.81"},
    ]
    data = next(c for c in doc["components"] if c["type"] == "data")
    assert data["data"][0]["type"] == "dataset" and data["name"] == "transactions-2026q3"
    assert {m["path"] for m in ev.data["models"]} == {"model/model.safetensors", "tokenizer"}
    # the deployment depends on the models, the models on the dataset
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert "model:tokenizer" in deps["deployment"] and deps["model:tokenizer"] == ["data:data/eval.csv"]


def test_sbom_is_deterministic(ml_project: Any) -> None:
    a = SbomCollector().collect(ml_project).files["sbom.cdx.json"]
    b = SbomCollector().collect(ml_project).files["sbom.cdx.json"]
    assert a == b
    doc = json.loads(a)
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert doc["serialNumber"].startswith("urn:uuid:")


def test_validation_is_strict(ml_project: Any) -> None:
    doc = json.loads(SbomCollector().collect(ml_project).files["sbom.cdx.json"])
    assert validate_bom(doc) == []
    bad_iri = copy.deepcopy(doc)
    lib = next(c for c in bad_iri["components"] if c["type"] == "library")
    lib["externalReferences"] = [{"type": "website", "url": "http://exa mple.com/<x>"}]
    assert any(
        e.startswith(f"/components/{bad_iri['components'].index(lib)}/externalReferences/0/url")
        for e in validate_bom(bad_iri)
    )
    unknown_prop = copy.deepcopy(doc)
    unknown_prop["components"][0]["modelCardz"] = {}
    assert validate_bom(unknown_prop)
    bad_card = copy.deepcopy(doc)
    m = next(c for c in bad_card["components"] if c["type"] == "machine-learning-model")
    m["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]["value"] = 0.93  # must be a string
    assert any("performanceMetrics" in e for e in validate_bom(bad_card))


def test_pep770_sboms_are_referenced_and_copied(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    d = dist_writer(site, "withsbom", "1.0", {"License-Expression": "MIT"})
    (d / "sboms").mkdir()
    inner = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}).encode()
    (d / "sboms" / "bundled.cdx.json").write_bytes(inner)
    ctx = make_ctx({"model": {"name": "m", "version": "1", "artifacts": []}}, python=str(venv))
    ev = SbomCollector().collect(ctx)
    assert ev.files["sboms/withsbom-1.0/bundled.cdx.json"] == inner
    doc = json.loads(ev.files["sbom.cdx.json"])
    [comp] = [c for c in doc["components"] if c["name"] == "withsbom"]
    [ref] = [r for r in comp["externalReferences"] if r["type"] == "bom"]
    import hashlib

    assert ref["url"] == "sboms/withsbom-1.0/bundled.cdx.json"
    assert ref["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(inner).hexdigest()}]
    assert comp["licenses"] == [{"expression": "MIT"}]


# samples where rfc3987-syntax (the reference jsonschema uses) and the RFC agree
_IRI_SAMPLES = [
    "https://example.com/a?b=c#d",
    "mailto:a@b.c",
    "a b",
    "//host/p",
    "../x/y",
    "",
    "x:",
    "http://ex.com/%zz",
    "http://ex.com/%41",
    "https://exämple.org/ü",
    "pkg:pypi/foo@1.0",
    "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "http://a/b c",
    "http://a/<x>",
    "#frag",
    "?q",
    "1http://x",
    "http://user:pw@h:8080/p",
    "file:///tmp/x",
    "http://[v1.fe]/",
    "ht tp://x",
    "http://h:port/",
    "http://a/b|c",
    "%",
    "a:b:c",
    "git+https://github.com/x/y.git@abc",
    "http://h/{x}",
    "http://h/^",
    "\u00a0",
    "http://[2001:db8:0:0:0:0:0:1]/",
    "sboms/x-1.0/bom.json",
]


def test_iri_checker_agrees_with_rfc3987_syntax() -> None:
    from rfc3987_syntax import is_valid_syntax

    for s in _IRI_SAMPLES:
        assert is_iri_reference(s) == is_valid_syntax("iri_reference", s), s
        assert is_iri(s) == is_valid_syntax("iri", s), s


def test_iri_checker_accepts_compressed_ipv6() -> None:
    """RFC 3986 section 3.2.2 allows '::' compression, which rfc3987-syntax's grammar omits."""
    assert is_iri("http://[::1]:8080/x") and is_iri("http://[2001:db8::7]/c=GB?objectClass?one")
    assert not is_iri("http://[::g]/") and not is_iri("http://[1.2.3.4]/")


def test_unique_items_is_still_enforced(ml_project: Any) -> None:
    doc = json.loads(SbomCollector().collect(ml_project).files["sbom.cdx.json"])
    dup = copy.deepcopy(doc)
    dup["components"].append(copy.deepcopy(dup["components"][0]))
    assert any(e.startswith("/components: ") and "non-unique" in e for e in validate_bom(dup))


def test_timestamp_from_source_date_epoch(make_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    ctx = make_ctx({"model": {"name": "m", "version": "1", "artifacts": []}})
    ctx.options.pop("timestamp")
    doc = json.loads(SbomCollector().collect(ctx).files["sbom.cdx.json"])
    assert doc["metadata"]["timestamp"] == "2026-01-01T00:00:00+00:00"
