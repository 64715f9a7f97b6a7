"""Model signatures (OpenSSF Model Signing format): what aigate signs and what it refuses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aigate.bundle.verify import _verify_signature
from aigate.errors import VerificationFailure
from aigate.sign import SigningMode
from aigate.sign.model import check_covers, model_root_for, read_signed_manifest, sign_model


def _model(root: Path) -> list[str]:
    (root / "model" / "tok").mkdir(parents=True)
    (root / "model" / "weights.safetensors").write_bytes(b"\x01" * 10_000)
    (root / "model" / "config.json").write_text('{"layers": 2}\n')
    (root / "model" / "tok" / "vocab.txt").write_text("a\nb\n")
    return ["model/config.json", "model/tok/vocab.txt", "model/weights.safetensors"]


def _digests(root: Path, files: list[str], base: str) -> dict[str, str]:
    return {
        Path(f).relative_to(base).as_posix(): hashlib.sha256((root / f).read_bytes()).hexdigest()
        for f in files
    }


def _verified(sig: bytes, pub: Path):
    ptype, payload, _, _ = _verify_signature(
        sig, name="model.sig", key=pub, identity=None, issuer=None, repository=None, trusted_root=None
    )
    return read_signed_manifest(ptype, payload, name="model.sig")


def test_model_root_is_the_common_directory_or_the_single_file():
    assert model_root_for(["model/a", "model/b/c"]) == "model"
    assert model_root_for(["m/x/a", "m/y/b"]) == "m"
    assert model_root_for(["a.bin", "model/b"]) == "."
    assert model_root_for(["model/only.gguf"]) == "model/only.gguf"


def test_key_signature_names_exactly_the_artifacts(tmp_path, keypair):
    files = _model(tmp_path)
    (tmp_path / "model" / "README.md").write_text("not an artifact\n")
    sig = sign_model(tmp_path, "model", files, SigningMode("key", keypair[0]))
    manifest = _verified(sig, keypair[1])
    assert manifest.ignore_paths == ()
    assert dict(manifest.resources) == _digests(tmp_path, files, "model")
    check_covers(manifest, _digests(tmp_path, files, "model"), name="model.sig")
    assert sign_model(tmp_path, "model", files, SigningMode("key", keypair[0])) == sig  # deterministic


def test_changed_missing_or_extra_artifacts_are_refused(tmp_path, keypair):
    files = _model(tmp_path)
    manifest = _verified(sign_model(tmp_path, "model", files, SigningMode("key", keypair[0])), keypair[1])
    expected = _digests(tmp_path, files, "model")
    with pytest.raises(VerificationFailure, match="does not match"):
        check_covers(manifest, {**expected, "weights.safetensors": "0" * 64}, name="model.sig")
    with pytest.raises(VerificationFailure, match="not covered"):
        check_covers(manifest, {**expected, "extra.bin": "0" * 64}, name="model.sig")
    with pytest.raises(VerificationFailure, match="not an artifact"):
        check_covers(manifest, {k: v for k, v in expected.items() if k != "config.json"}, name="model.sig")


def test_signature_whose_ignore_paths_exclude_an_artifact_is_refused(tmp_path, keypair):
    """model-signing's own verifier honours signed ignore_paths, so such a signature would vouch
    for a model while leaving its weights out; aigate refuses it."""
    from model_signing import hashing, signing

    files = _model(tmp_path)
    sig_path = tmp_path / "evil.sig"
    config = hashing.Config().set_ignored_paths(paths=["weights.safetensors"], ignore_git_paths=False)
    signing.Config().use_elliptic_key_signer(private_key=keypair[0]).set_hashing_config(config).sign(
        tmp_path / "model", sig_path
    )
    manifest = _verified(sig_path.read_bytes(), keypair[1])
    assert any("weights.safetensors" in p for p in manifest.ignore_paths)
    with pytest.raises(VerificationFailure, match=r"ignore_paths exclude artifact weights\.safetensors"):
        check_covers(manifest, _digests(tmp_path, files, "model"), name="model.sig")


def test_single_file_model(tmp_path, keypair):
    (tmp_path / "m.gguf").write_bytes(b"GGUF" + b"\0" * 100)
    sig = sign_model(tmp_path, "m.gguf", ["m.gguf"], SigningMode("key", keypair[0]))
    manifest = _verified(sig, keypair[1])
    check_covers(manifest, {".": hashlib.sha256((tmp_path / "m.gguf").read_bytes()).hexdigest()}, name="s")


def test_single_file_model_bundle_verifies_end_to_end(tmp_path, keypair):
    from aigate.bundle.verify import verify_bundle
    from aigate.bundle.writer import Artifact, BundleRequest, write_bundle

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.gguf").write_bytes(b"GGUF" + b"\1" * 100)
    digest = hashlib.sha256((tmp_path / "models" / "m.gguf").read_bytes()).hexdigest()
    request = BundleRequest(
        files={"decision.json": b'{"decision": "pass"}\n'},
        artifacts=[Artifact("models/m.gguf", digest, 104)],
        model_name="m",
        model_version="1",
        policy_digest="sha256:" + "0" * 64,
        previous_decision_digest=None,
        evidence_time=0,
        passed=True,
        signing=SigningMode("key", keypair[0]),
        project_root=tmp_path,
    )
    write_bundle(tmp_path / "b", request)
    for artifacts in (tmp_path, tmp_path / "models" / "m.gguf"):
        res = verify_bundle(tmp_path / "b", key=keypair[1], artifacts_dir=artifacts)
        assert res.model_signature_checked and res.artifacts_checked


def test_key_signature_is_identical_across_processes(tmp_path, keypair):
    """Hash randomisation differs per process; the signed bytes must not."""
    import subprocess
    import sys

    files = _model(tmp_path)
    script = (
        "import sys; from pathlib import Path; from aigate.sign import SigningMode; "
        "from aigate.sign.model import sign_model; "
        f"sys.stdout.buffer.write(sign_model(Path({str(tmp_path)!r}), 'model', {files!r}, "
        f"SigningMode('key', Path({str(keypair[0])!r}))))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, check=True, env={"PYTHONHASHSEED": str(seed)}
        ).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(outs) == 1
