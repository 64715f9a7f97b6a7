"""Sigstore keyless signing (ambient OIDC in CI) and offline verification of Sigstore bundles.

Signing needs the public Sigstore services and an ambient identity token (GitHub Actions with
``id-token: write``; GitLab with ``id_tokens: SIGSTORE_ID_TOKEN`` and audience ``sigstore``). It is
never attempted without a token: no browser flow, no prompt, a :class:`SigningError` instead.

Verification is offline: the trusted root is pinned (a ``--trusted-root`` file, or the production
root shipped inside sigstore-python), no TUF refresh and no Rekor query.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from aigate.errors import InputError, SigningError, UsageError, VerificationFailure

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_ROOTS = {
    "production": "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev",
    "staging": "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev",
}


def ambient_identity_token() -> str:
    """The CI's OIDC token for Sigstore, or :class:`SigningError` (exit 3) when there is none."""
    from sigstore.oidc import IdentityError, detect_credential

    token = os.environ.get("SIGSTORE_ID_TOKEN", "").strip()
    if token:
        return token
    try:
        detected = detect_credential()
    except IdentityError as exc:
        raise SigningError(
            f"keyless signing: the CI identity token could not be obtained ({exc})",
            hint="grant 'id-token: write' (GitHub) or declare id_tokens: SIGSTORE_ID_TOKEN (GitLab)",
        ) from exc
    if not detected:
        raise SigningError(
            "keyless signing needs an ambient OIDC identity and none was found",
            hint="run in CI with 'id-token: write' (GitHub) or SIGSTORE_ID_TOKEN (GitLab), "
            "or use --sign key:PATH",
        )
    return str(detected)


def sign_dsse_keyless(payload: bytes, *, token: str | None = None, staging: bool = False) -> bytes:
    """Sign an in-toto statement with a short-lived Fulcio certificate; return the bundle JSON."""
    from sigstore import dsse
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityError, IdentityToken
    from sigstore.sign import SigningContext

    raw = token or ambient_identity_token()
    try:
        identity = IdentityToken(raw)
        config = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
        ctx = SigningContext.from_trust_config(config)
        with ctx.signer(identity, cache=True) as signer:
            bundle = signer.sign_dsse(dsse.Statement(payload))
    except (IdentityError, SigstoreError) as exc:
        raise SigningError(
            f"keyless signing failed: {exc}", hint="check the identity token and network"
        ) from exc
    except OSError as exc:
        raise SigningError(f"keyless signing failed: cannot reach Sigstore ({exc})") from exc
    return bundle.to_json().encode()


def builtin_trusted_root(instance: str = "production") -> Path:
    """The trusted root shipped with sigstore-python (pinned by its version; no TUF refresh)."""
    ref = resources.files("sigstore") / "_store" / _ROOTS[instance] / "trusted_root.json"
    return Path(str(ref))


def _verifier(trusted_root: Path | None):  # type: ignore[no-untyped-def]
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    path = trusted_root or builtin_trusted_root()
    try:
        root = TrustedRoot.from_file(str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot read trusted root: {exc.strerror}") from exc
    except Exception as exc:
        raise InputError(f"{path}: not a Sigstore trusted root ({exc})") from exc
    return Verifier(trusted_root=root)


def identity_policy(identity: str | None, issuer: str | None, repository: str | None):  # type: ignore[no-untyped-def]
    """The certificate policy: an exact identity and issuer, or a GitHub repository.

    Either is required: verifying a keyless signature without saying *who* must have signed is
    no verification at all, so there is no default (and never ``UnsafeNoOp``).
    """
    from sigstore.verify import policy

    if identity or issuer:
        if not (identity and issuer):
            raise UsageError(
                "--identity and --issuer go together", hint="pass both, or --repository OWNER/REPO"
            )
        return policy.Identity(identity=identity, issuer=issuer)
    if repository:
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise UsageError(f"--repository {repository!r} must be OWNER/REPO")
        return policy.AllOf(
            [
                policy.OIDCIssuer(GITHUB_ISSUER),
                policy.AnyOf(
                    [
                        policy.GitHubWorkflowRepository(repository),
                        policy.OIDCSourceRepositoryURI(f"https://github.com/{repository}"),
                    ]
                ),
            ]
        )
    raise UsageError(
        "a keyless signature needs an expected signer",
        hint="pass --identity ID --issuer URL, or --repository OWNER/REPO",
    )


def _load(data: bytes, name: str):  # type: ignore[no-untyped-def]
    from sigstore.models import Bundle, InvalidBundle

    try:
        return Bundle.from_json(data)
    except (InvalidBundle, ValueError) as exc:
        raise VerificationFailure(f"{name}: not a valid Sigstore bundle ({exc})") from exc


def verify_dsse_keyless(
    data: bytes,
    *,
    name: str,
    identity: str | None = None,
    issuer: str | None = None,
    repository: str | None = None,
    trusted_root: Path | None = None,
) -> tuple[str, bytes]:
    """Verify a keyless DSSE bundle offline; return ``(payload_type, payload)``."""
    from sigstore.errors import Error as SigstoreError

    pol = identity_policy(identity, issuer, repository)
    verifier = _verifier(trusted_root)
    bundle = _load(data, name)
    try:
        payload_type, payload = verifier.verify_dsse(bundle, pol)
    except SigstoreError as exc:
        raise VerificationFailure(f"{name}: keyless signature does not verify: {exc}") from exc
    return str(payload_type), bytes(payload)


def verify_artifact_keyless(
    artifact: bytes,
    data: bytes,
    *,
    name: str,
    identity: str | None = None,
    issuer: str | None = None,
    repository: str | None = None,
    trusted_root: Path | None = None,
) -> None:
    """Verify a keyless message-signature bundle over ``artifact`` offline."""
    from sigstore.errors import Error as SigstoreError

    pol = identity_policy(identity, issuer, repository)
    verifier = _verifier(trusted_root)
    bundle = _load(data, name)
    try:
        verifier.verify_artifact(artifact, bundle, pol)
    except SigstoreError as exc:
        raise VerificationFailure(f"{name}: keyless signature does not verify: {exc}") from exc
