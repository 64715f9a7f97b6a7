"""Signing with a local ECDSA P-256 key: a standard Sigstore bundle v0.3 with a DSSE envelope.

sigstore-python can neither produce nor load key-based bundles, so this module builds them with
``cryptography``. The layout is the one cosign and OpenSSF model-signing emit: no certificate, no
transparency-log entry, ``verificationMaterial.publicKey.hint`` naming the key (hex SHA-256 of its
SubjectPublicKeyInfo PEM, the convention of model-signing 1.x, so its verifier accepts our
``model.sig``) and a DSSE envelope over the payload.

Signatures are deterministic (RFC 6979), so the same key over the same statement yields the same
bytes: a key-signed bundle is reproducible byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from aigate.errors import InputError, SigningError, VerificationFailure

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
KEY_PASSWORD_ENV = "AIGATE_KEY_PASSWORD"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed (type and length bound in)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Load a PEM P-256 private key; an encrypted key takes its password from ``AIGATE_KEY_PASSWORD``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read signing key: {exc.strerror}", hint="check --sign key:PATH"
        ) from exc
    password = os.environ.get(KEY_PASSWORD_ENV)
    try:
        key = serialization.load_pem_private_key(data, password.encode() if password else None)
    except TypeError as exc:
        raise InputError(
            f"{path}: the signing key is encrypted", hint=f"set {KEY_PASSWORD_ENV} to its password"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(
            f"{path}: not a PEM private key ({exc})", hint="generate one with aigate keygen"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise InputError(f"{path}: signing key must be ECDSA P-256", hint="generate one with aigate keygen")
    return key


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read public key: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(
            f"{path}: not a PEM public key ({exc})", hint="pass the .pub file of the signing key"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InputError(f"{path}: public key must be ECDSA P-256")
    return key


def public_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_hint(key: ec.EllipticCurvePublicKey) -> str:
    """The bundle's key hint: hex SHA-256 of the SPKI PEM (model-signing's convention)."""
    return hashlib.sha256(public_pem(key)).hexdigest()


def generate_keypair(private_path: Path, public_path: Path) -> str:
    """Write a new unencrypted P-256 key (mode 0600) and its public key; return the key hint."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InputError(f"{private_path}: already exists; refusing to overwrite a key") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_bytes(public_pem(key.public_key()))
    return key_hint(key.public_key())


def sign_dsse(
    payload: bytes, key: ec.EllipticCurvePrivateKey, payload_type: str = INTOTO_PAYLOAD_TYPE
) -> bytes:
    """A Sigstore bundle v0.3 (JSON bytes) holding a DSSE envelope over ``payload``."""
    try:
        sig = key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    except Exception as exc:  # an OpenSSL without RFC 6979 support, or a broken key
        raise SigningError(f"ECDSA signing failed: {exc}") from exc
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": key_hint(key.public_key())}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": payload_type,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}],
        },
    }
    return (json.dumps(bundle, indent=2, sort_keys=True) + "\n").encode()


def _b64(value: Any, what: str, name: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailure(f"{name}: {what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationFailure(f"{name}: {what} is not valid base64") from exc


def parse_key_bundle(data: bytes, name: str) -> dict[str, Any]:
    """Parse a key-based bundle's JSON; structural problems are verification failures."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationFailure(f"{name}: not a JSON Sigstore bundle ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("dsseEnvelope"), dict):
        raise VerificationFailure(f"{name}: not a Sigstore bundle with a DSSE envelope")
    return doc


def verify_dsse(data: bytes, key: ec.EllipticCurvePublicKey, *, name: str) -> tuple[str, bytes]:
    """Verify a key-based DSSE bundle against ``key``; return ``(payload_type, payload)``.

    The hint, when present, must name this key: a bundle signed by another key fails with a
    message saying so rather than a bare "bad signature".
    """
    doc = parse_key_bundle(data, name)
    media = doc.get("mediaType")
    if not isinstance(media, str) or not media.startswith("application/vnd.dev.sigstore.bundle"):
        raise VerificationFailure(f"{name}: unknown bundle media type {media!r}")
    material = doc.get("verificationMaterial") or {}
    hint = (material.get("publicKey") or {}).get("hint") if isinstance(material, dict) else None
    if hint and hint != key_hint(key):
        raise VerificationFailure(
            f"{name}: signed by another key (hint {hint[:16]}...), not the given public key"
        )
    env = doc["dsseEnvelope"]
    payload = _b64(env.get("payload"), "DSSE payload", name)
    payload_type = env.get("payloadType")
    if not isinstance(payload_type, str):
        raise VerificationFailure(f"{name}: DSSE payloadType missing")
    sigs = env.get("signatures")
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict):
        raise VerificationFailure(f"{name}: expected exactly one DSSE signature")
    sig = _b64(sigs[0].get("sig"), "DSSE signature", name)
    try:
        key.verify(sig, pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VerificationFailure(
            f"{name}: DSSE signature does not verify with the given public key"
        ) from exc
    return payload_type, payload


def bundle_kind(data: bytes) -> str:
    """``"key"`` for a bundle without certificate, ``"keyless"`` for one with a certificate."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "unknown"
    material = doc.get("verificationMaterial") if isinstance(doc, dict) else None
    if not isinstance(material, dict):
        return "unknown"
    if "publicKey" in material:
        return "key"
    if "certificate" in material or "x509CertificateChain" in material:
        return "keyless"
    return "unknown"
