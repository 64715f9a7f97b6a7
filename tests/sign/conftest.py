"""Shared fixtures for the signing tests: real keys (aigate's and openssl's) and the real
Sigstore bundles in the shared fixtures directory (offline keyless verification)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aigate.sign.key import generate_keypair

SIGSTORE_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"


@pytest.fixture(scope="session")
def sigstore_fixtures() -> Path:
    path = SIGSTORE_FIXTURES
    if not path.is_dir():  # the repository checkout next to /work/shared
        path = Path("/work/shared/fixtures/sigstore")
    assert (path / "bundle_v3_github.whl.sigstore").is_file(), f"Sigstore fixtures missing under {path}"
    return path


@pytest.fixture(scope="session")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    generate_keypair(d / "k.pem", d / "k.pub")
    return d / "k.pem", d / "k.pub"


@pytest.fixture(scope="session")
def openssl_keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A P-256 key made by openssl, not by aigate: the key format is the standard one."""
    d = tmp_path_factory.mktemp("osslkeys")
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            d / "o.pem",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(["openssl", "pkey", "-in", d / "o.pem", "-pubout", "-out", d / "o.pub"], check=True)
    return d / "o.pem", d / "o.pub"


@pytest.fixture
def clean_oidc_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ambient OIDC credential of any CI provider: keyless signing must fail before any network."""
    for var in (
        "SIGSTORE_ID_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "BUILDKITE",
        "CIRCLECI",
        "GOOGLE_SERVICE_ACCOUNT_NAME",
    ):
        monkeypatch.delenv(var, raising=False)
