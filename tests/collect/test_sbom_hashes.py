"""Package components carry the hashes the lock file or the installer recorded, and every one a purl.

The expected hashes are written by hand into the PEP 751 lock file and the PEP 610
``direct_url.json`` below; the lock file is checked with ``packaging.pylock`` (the reference
PEP 751 reader) so the test's input is a real lock file, and the SBOM with cyclonedx-python-lib's
strict validator in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packageurl import PackageURL
from packaging.pylock import Pylock

from aigate.collect.sbom import SbomCollector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

H = {name: (c * 64) for name, c in (("alpha", "a"), ("beta-linux", "b"), ("beta-mac", "c"), ("gamma", "d"))}
H["alpha-py2"] = "e" * 64
H["epsilon-sdist"] = "f" * 64

PYLOCK = f"""lock-version = "1.0"
created-by = "hand-written for aigate's tests"

[[packages]]
name = "alpha"
version = "1.0"
wheels = [
  {{ name = "alpha-1.0-py3-none-any.whl", url = "https://example.test/alpha-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H["alpha"]}" }} }},
  {{ name = "alpha-1.0-py2-none-any.whl", url = "https://example.test/alpha-1.0-py2-none-any.whl", hashes = {{ sha256 = "{H["alpha-py2"]}" }} }},
]

[[packages]]
name = "beta"
version = "2.0"
wheels = [
  {{ name = "beta-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", url = "https://example.test/b1.whl", hashes = {{ sha256 = "{H["beta-linux"]}" }} }},
  {{ name = "beta-2.0-cp311-cp311-macosx_11_0_arm64.whl", url = "https://example.test/b2.whl", hashes = {{ sha256 = "{H["beta-mac"]}" }} }},
]

[[packages]]
name = "epsilon"
version = "5.0"
sdist = {{ name = "epsilon-5.0.tar.gz", url = "https://example.test/epsilon-5.0.tar.gz", hashes = {{ sha256 = "{H["epsilon-sdist"]}" }} }}

[[packages]]
name = "zeta"
version = "9.9"
wheels = [
  {{ name = "zeta-9.9-py3-none-any.whl", url = "https://example.test/zeta.whl", hashes = {{ sha256 = "{"1" * 64}" }} }},
]
"""

_CDX_VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
print("VALID" if err is None else f"INVALID {err}")
"""


def _wheel(dist_info: Path, *tags: str) -> None:
    body = ["Wheel-Version: 1.0", "Generator: hand", "Root-Is-Purelib: true", *(f"Tag: {t}" for t in tags)]
    (dist_info / "WHEEL").write_text("\n".join(body) + "\n")


@pytest.fixture
def sbom(make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any, tmp_path: Path) -> dict[str, Any]:
    venv, site = fresh_venv
    _wheel(dist_writer(site, "alpha", "1.0"), "py3-none-any")
    _wheel(
        dist_writer(site, "beta", "2.0"),
        "cp311-cp311-manylinux_2_17_x86_64",
        "cp311-cp311-manylinux2014_x86_64",
    )
    gamma = dist_writer(site, "gamma", "3.0")
    _wheel(gamma, "py3-none-any")
    (gamma / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "file:///wheels/gamma-3.0-py3-none-any.whl",
                "archive_info": {"hashes": {"sha256": H["gamma"]}},
            }
        )
    )
    dist_writer(site, "delta", "4.0")  # not in the lock, no direct_url: no hash to claim
    dist_writer(site, "epsilon", "5.0")  # built from the locked sdist: its one hashed artifact
    zeta = dist_writer(site, "zeta", "1.0")  # the lock pins another version: its hash is not this one's
    _wheel(zeta, "py3-none-any")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pylock.toml").write_text(PYLOCK)
    Pylock.from_dict(tomllib.loads(PYLOCK))  # the reference reader accepts the lock file
    ctx = make_ctx(
        {"model": {"name": "m", "version": "1", "artifacts": []}, "dependencies": {"pylock": "pylock.toml"}},
        root=root,
        python=str(venv),
    )
    raw = SbomCollector().collect(ctx).files["sbom.cdx.json"]
    out = tmp_path / "sbom.cdx.json"
    out.write_bytes(raw)
    res = subprocess.run(
        [sys.executable, "-c", _CDX_VALIDATE, str(out)], capture_output=True, text=True, check=True
    )
    assert res.stdout.strip() == "VALID", res.stdout + res.stderr
    return json.loads(raw)


def _hashes(doc: dict[str, Any], name: str) -> dict[str, str]:
    [comp] = [c for c in doc["components"] if c["name"] == name]
    return {h["alg"]: h["content"] for h in comp.get("hashes", [])}


def test_components_carry_the_installed_artifacts_hash(sbom: dict[str, Any]) -> None:
    assert _hashes(sbom, "alpha") == {"SHA-256": H["alpha"]}  # the py3 wheel, not the py2 one
    assert _hashes(sbom, "beta") == {"SHA-256": H["beta-linux"]}  # the wheel whose tags were installed
    assert _hashes(sbom, "gamma") == {"SHA-256": H["gamma"]}  # what the installer verified (PEP 610)
    assert _hashes(sbom, "epsilon") == {"SHA-256": H["epsilon-sdist"]}
    assert _hashes(sbom, "delta") == {}
    assert _hashes(sbom, "zeta") == {}


def test_hash_source_is_recorded(sbom: dict[str, Any]) -> None:
    def source(name: str) -> str | None:
        [comp] = [c for c in sbom["components"] if c["name"] == name]
        return {p["name"]: p["value"] for p in comp.get("properties", [])}.get("aigate:hash_source")

    assert (source("alpha"), source("gamma"), source("delta")) == ("lockfile", "direct_url.json", None)


def test_every_component_and_the_tool_has_a_purl(sbom: dict[str, Any]) -> None:
    libraries = [c for c in sbom["components"] if c["type"] == "library"]
    assert {c["name"] for c in libraries} >= {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
    for c in libraries:
        purl = PackageURL.from_string(c["purl"])
        assert (purl.type, purl.version) == ("pypi", c["version"])
    [tool] = sbom["metadata"]["tools"]["components"]
    assert PackageURL.from_string(tool["purl"]).to_dict()["name"] == "aigate"
