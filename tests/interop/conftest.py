"""Interop fixtures: one real key-signed aigate bundle, verified by tools other than aigate."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from ci_support import missing

from aigate.bundle.writer import Artifact, BundleRequest, BundleResult, write_bundle
from aigate.sign import SigningMode
from aigate.sign.key import generate_keypair

NODE_DIR = Path(__file__).resolve().parent / "node"


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[BundleResult, Path, Path]:
    """(bundle, public key, project root) for a model of two files signed with a P-256 key."""
    d = tmp_path_factory.mktemp("interop")
    generate_keypair(d / "k.pem", d / "k.pub")
    root = d / "proj"
    (root / "model").mkdir(parents=True)
    (root / "model" / "model.safetensors").write_bytes(os.urandom(65_536))
    (root / "model" / "config.json").write_text('{"hidden": 8}\n')
    arts = []
    for rel in ("model/config.json", "model/model.safetensors"):
        data = (root / rel).read_bytes()
        arts.append(Artifact(rel, hashlib.sha256(data).hexdigest(), len(data)))
    request = BundleRequest(
        files={"decision.json": b'{"decision": "pass"}\n', "report.md": b"# report\n"},
        artifacts=arts,
        model_name="interop",
        model_version="1.0.0",
        policy_digest="sha256:" + "1" * 64,
        previous_decision_digest=None,
        evidence_time=1_767_225_600,
        passed=True,
        signing=SigningMode("key", d / "k.pem"),
        project_root=root,
    )
    return write_bundle(d / "bundle", request), d / "k.pub", root


@pytest.fixture(scope="session")
def node_verifier() -> list[str]:
    """The sigstore-js verifier script; ``npm ci --prefix tests/interop/node`` installs its deps.

    In CI a missing node or missing dependencies is a failure, not a skip: this is the
    independent-verifier evidence the bundle format promises.
    """
    node = shutil.which("node")
    ready = node is not None and (NODE_DIR / "node_modules" / "@sigstore" / "verify").is_dir()
    if not ready:
        missing("sigstore-js not installed: run `npm ci --prefix tests/interop/node`")
    assert node is not None
    return [node, str(NODE_DIR / "verify-bundle.js")]
