"""The attestation's predicate follows the SLSA Verification Summary v1 text.

Independent references: the SLSA VSA v1 field rules (``resourceUri`` is a URI; ``verifiedLevels``
holds at most one level per track; ``verificationResult`` is ``PASSED`` or ``FAILED``), checked
with ``urllib.parse`` and ``packageurl``'s own parser on a bundle written by the real CLI.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy
from packageurl import PackageURL

from aigate.bundle.writer import levels
from aigate.record import resource_uri

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("maturity", "expected"),
    [
        ({"A": 2, "B": 1}, ["AIMA_SECURE_DEPLOYMENT_A_L2", "AIMA_SECURE_DEPLOYMENT_B_L1"]),
        ({"A": 0, "B": 3}, ["AIMA_SECURE_DEPLOYMENT_B_L3"]),
        ({"A": 0, "B": 0}, []),
    ],
)
def test_one_level_per_track(maturity, expected):
    assert levels(maturity) == expected


def test_resource_uri_names_the_pinned_image():
    uri = resource_uri({"serving": {"image": f"registry.example.com/ml/fraud-detector:1.4@{DIGEST}"}})
    purl = PackageURL.from_string(uri)
    assert (purl.type, purl.name, purl.version) == ("oci", "fraud-detector", DIGEST)
    assert purl.qualifiers == {"repository_url": "registry.example.com/ml/fraud-detector"}


def test_resource_uri_without_a_pinned_image_is_a_generic_purl():
    uri = resource_uri(
        {"model": {"name": "fraud detector", "version": "1.4.0"}, "serving": {"image": "x:latest"}}
    )
    purl = PackageURL.from_string(uri)
    assert (purl.type, purl.name, purl.version) == ("generic", "fraud detector", "1.4.0")
    assert " " not in uri


@pytest.mark.parametrize("example", ["fraud-detector", "fraud-detector-failing"])
def test_written_bundle_predicate(tmp_path: Path, example: str):
    project = committed_copy(example, tmp_path)
    bundle = tmp_path / "bundle"
    args = ["check", "--dry-run", "-C", str(project), "--bundle-dir", str(bundle), "--format", "json"]
    if (project / "policy-data.yaml").exists():
        args += ["--data", str(project / "policy-data.yaml")]
    r = aigate(*args)
    assert r.returncode == (0 if example == "fraud-detector" else 1), r  # the README's verdicts
    report = json.loads(r.stdout)
    stmt = json.loads((bundle / "attestation.intoto.json").read_text())
    pred = stmt["predicate"]
    assert urllib.parse.urlsplit(pred["resourceUri"]).scheme == "pkg"
    PackageURL.from_string(pred["resourceUri"])  # parses as a purl
    assert pred["verificationResult"] == ("PASSED" if report["decision"] == "pass" else "FAILED")
    tracks = [lv.rsplit("_L", 1)[0] for lv in pred["verifiedLevels"]]
    assert len(tracks) == len(set(tracks)), pred["verifiedLevels"]
    reached = (
        {m["stream"]: m["level"] for m in report["maturity"]}
        if isinstance(report["maturity"], list)
        else {k: v["level"] for k, v in report["maturity"].items()}
    )
    assert pred["verifiedLevels"] == [
        f"AIMA_SECURE_DEPLOYMENT_{s}_L{n}" for s, n in sorted(reached.items()) if n
    ]
