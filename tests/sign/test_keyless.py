"""Keyless (Sigstore) verification offline with real bundles, and the signing failure path.

The fixtures are real Sigstore bundles (see /work/shared/fixtures/sigstore/README.md): a
production GitHub Actions signature over a wheel, and a staging DSSE (in-toto) bundle. No test
here touches the network: trusted roots are pinned files.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aigate.errors import SigningError, UsageError, VerificationFailure
from aigate.sign.keyless import (
    ambient_identity_token,
    builtin_trusted_root,
    sign_dsse_keyless,
    verify_artifact_keyless,
    verify_dsse_keyless,
)

WHEEL_ID = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
GH_ISSUER = "https://token.actions.githubusercontent.com"
BEACON_ID = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


@pytest.fixture
def wheel(sigstore_fixtures):
    return (
        (sigstore_fixtures / "bundle_v3_github.whl").read_bytes(),
        (sigstore_fixtures / "bundle_v3_github.whl.sigstore").read_bytes(),
    )


@pytest.fixture
def dsse(sigstore_fixtures):
    return (sigstore_fixtures / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_bytes()


def test_production_bundle_verifies_with_identity_and_repository(wheel):
    artifact, bundle = wheel
    verify_artifact_keyless(artifact, bundle, name="whl", identity=WHEEL_ID, issuer=GH_ISSUER)
    verify_artifact_keyless(artifact, bundle, name="whl", repository="trailofbits/rfc8785.py")


def test_wrong_identity_issuer_or_repository_fails(wheel):
    artifact, bundle = wheel
    with pytest.raises(VerificationFailure, match="does not verify"):
        verify_artifact_keyless(
            artifact, bundle, name="whl", identity=WHEEL_ID.replace("v0.1.2", "v9"), issuer=GH_ISSUER
        )
    with pytest.raises(VerificationFailure):
        verify_artifact_keyless(
            artifact, bundle, name="whl", identity=WHEEL_ID, issuer="https://accounts.google.com"
        )
    with pytest.raises(VerificationFailure):
        verify_artifact_keyless(artifact, bundle, name="whl", repository="trailofbits/other")


def test_tampered_artifact_fails(wheel):
    artifact, bundle = wheel
    changed = bytearray(artifact)
    changed[100] ^= 1
    with pytest.raises(VerificationFailure, match="does not verify"):
        verify_artifact_keyless(bytes(changed), bundle, name="whl", identity=WHEEL_ID, issuer=GH_ISSUER)


def test_staging_dsse_bundle_needs_the_staging_root(dsse):
    staging = builtin_trusted_root("staging")
    ptype, payload = verify_dsse_keyless(
        dsse, name="a", identity=BEACON_ID, issuer=GH_ISSUER, trusted_root=staging
    )
    assert ptype == "application/vnd.in-toto+json"
    assert json.loads(payload)["subject"][0]["name"] == "a.txt"
    with pytest.raises(VerificationFailure):  # the production root does not trust staging
        verify_dsse_keyless(dsse, name="a", identity=BEACON_ID, issuer=GH_ISSUER)
    with pytest.raises(VerificationFailure):
        verify_dsse_keyless(dsse, name="a", identity=WHEEL_ID, issuer=GH_ISSUER, trusted_root=staging)


def test_an_expected_signer_is_required(wheel):
    artifact, bundle = wheel
    with pytest.raises(UsageError, match="expected signer"):
        verify_artifact_keyless(artifact, bundle, name="whl")
    with pytest.raises(UsageError, match="go together"):
        verify_artifact_keyless(artifact, bundle, name="whl", identity=WHEEL_ID)
    with pytest.raises(UsageError, match="OWNER/REPO"):
        verify_artifact_keyless(artifact, bundle, name="whl", repository="justaname")


def test_keyless_signature_inside_a_bundle_is_checked_for_identity(tmp_path, dsse, sigstore_fixtures):
    """``aigate verify`` routes a certificate bundle to keyless verification: with the right
    identity it gets past the signature (and then finds the statement is not this bundle's);
    with a wrong one it stops at the signature."""
    payload = verify_dsse_keyless(
        dsse, name="a", identity=BEACON_ID, issuer=GH_ISSUER, trusted_root=builtin_trusted_root("staging")
    )[1]
    b = tmp_path / "b"
    b.mkdir()
    (b / "attestation.sigstore.json").write_bytes(dsse)
    (b / "attestation.intoto.json").write_bytes(payload)
    (b / "decision.json").write_bytes(b"{}\n")
    index = {
        "signing": "keyless",
        "files": {"decision.json": {"sha256": "0" * 64, "size": 3}},
        "artifacts": [],
        "decision_digest": "sha256:" + "0" * 64,
        "evidence_time": "2026-01-01T00:00:00Z",
    }
    (b / "index.json").write_text(json.dumps(index))
    common = [
        sys.executable,
        "-m",
        "aigate",
        "verify",
        str(b),
        "--trusted-root",
        str(builtin_trusted_root("staging")),
    ]
    right = subprocess.run(
        [*common, "--identity", BEACON_ID, "--issuer", GH_ISSUER], capture_output=True, text=True
    )
    assert right.returncode == 1 and "index.json: sha256 differs from the signed statement" in right.stderr
    wrong = subprocess.run(
        [*common, "--identity", WHEEL_ID, "--issuer", GH_ISSUER], capture_output=True, text=True
    )
    assert wrong.returncode == 1 and "keyless signature does not verify" in wrong.stderr
    none = subprocess.run(common, capture_output=True, text=True)
    assert none.returncode == 2 and "--identity" in none.stderr


def test_no_ambient_credential_is_a_signing_error_before_any_network(clean_oidc_env):
    with pytest.raises(SigningError) as info:
        ambient_identity_token()
    assert info.value.exit_code == 3 and "id-token" in info.value.one_line()
    with pytest.raises(SigningError):
        sign_dsse_keyless(b"{}")


def test_github_without_id_token_permission_is_a_signing_error(clean_oidc_env, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # in Actions, but the job lacks id-token: write
    with pytest.raises(SigningError) as info:
        ambient_identity_token()
    assert info.value.exit_code == 3


def test_gitlab_token_variable_is_used(clean_oidc_env, monkeypatch):
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", "eyJ.header.token")
    assert ambient_identity_token() == "eyJ.header.token"
