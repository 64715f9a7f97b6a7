"""Shared fixtures for the bundle tests: a real project with model files, a real key pair, and a
factory that writes real, signed bundles through the public writer API."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aigate.bundle.writer import Artifact, BundleRequest, BundleResult, levels, write_bundle
from aigate.sign import SigningMode
from aigate.sign.key import generate_keypair

EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="session")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    generate_keypair(d / "signing.pem", d / "signing.pub")
    return d / "signing.pem", d / "signing.pub"


@pytest.fixture(scope="session")
def other_keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("otherkeys")
    generate_keypair(d / "other.pem", d / "other.pub")
    return d / "other.pem", d / "other.pub"


def make_project(root: Path, seed: bytes = b"v1") -> Path:
    """A project with a two-file model under model/ (weights + config)."""
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "model" / "model.safetensors").write_bytes(hashlib.sha256(seed).digest() * 4096)
    (root / "model" / "config.json").write_text(json.dumps({"seed": seed.decode()}) + "\n")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def artifacts_of(root: Path) -> list[Artifact]:
    out = []
    for rel in ("model/config.json", "model/model.safetensors"):
        data = (root / rel).read_bytes()
        out.append(Artifact(rel, hashlib.sha256(data).hexdigest(), len(data)))
    return out


def rendered_files(
    version: str, passed: bool, previous: str | None, evidence: int, artifacts: list[Artifact]
) -> dict[str, bytes]:
    """The files the gate renders, shaped like the lead's decision.json contract."""
    decision = {
        "decision": "pass" if passed else "fail",
        "maturity": {"A": {"level": 2, "required": 2}, "B": {"level": 1, "required": 1}},
        "findings": [{"control": "ENV", "rule": "captured", "severity": "pass", "message": "ok"}],
        "summary": {"tests": 1, "passed": 1, "failures": 0},
        "model": {"name": "fraud-detector", "version": version},
        "artifacts": [a.to_dict() for a in artifacts],
        "policy_digest": "sha256:" + "ab" * 32,
        "previous_decision_digest": previous,
        "evidence_time": evidence,
    }
    input_doc = {"aigate": {"version": "1"}, "reports": {"metrics": {"auc": 0.9, "version": version}}}
    return {
        "decision.json": (json.dumps(decision, sort_keys=True, indent=2) + "\n").encode(),
        "input.json": (json.dumps(input_doc, sort_keys=True, indent=2) + "\n").encode(),
        "manifest.yaml": f"model:\n  name: fraud-detector\n  version: {version}\n".encode(),
        "report.md": f"# aigate report\n\nverdict: {'pass' if passed else 'fail'}\n".encode(),
        "sbom.cdx.json": b'{"bomFormat": "CycloneDX", "specVersion": "1.6"}\n',
    }


BundleFactory = Callable[..., BundleResult]


@pytest.fixture
def make_bundle(keypair: tuple[Path, Path]) -> BundleFactory:
    def factory(
        dest: Path,
        root: Path,
        *,
        version: str = "1.0.0",
        passed: bool = True,
        previous: str | None = None,
        evidence: int = EPOCH,
        signing: str | None = None,
        tarball: Path | None = None,
        allow_unsigned: bool = False,
        extra_files: dict[str, bytes] | None = None,
    ) -> BundleResult:
        arts = artifacts_of(root)
        files = rendered_files(version, passed, previous, evidence, arts)
        files.update(extra_files or {})
        request = BundleRequest(
            files=files,
            artifacts=arts,
            model_name="fraud-detector",
            model_version=version,
            policy_digest="sha256:" + "ab" * 32,
            previous_decision_digest=previous,
            evidence_time=evidence,
            passed=passed,
            verified_levels=levels({"A": 2, "B": 1}),
            resource_uri=f"git+https://example.test/ml/fraud@{version}",
            signing=SigningMode.parse(signing or f"key:{keypair[0]}"),
            project_root=root,
            allow_unsigned=allow_unsigned,
        )
        return write_bundle(dest, request, tarball=tarball)

    return factory


def run_aigate(
    *args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``aigate`` command line in a subprocess (stdout/stderr shown on failure)."""
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    print("STDOUT:", proc.stdout, "STDERR:", proc.stderr, sep="\n")
    return proc


@pytest.fixture
def aigate() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_aigate


@pytest.fixture
def new_project() -> Callable[..., Path]:
    return make_project
