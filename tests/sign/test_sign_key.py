"""Key signing: a standard Sigstore bundle v0.3 with a public-key hint and a DSSE envelope."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
from click.testing import CliRunner

from aigate.cli.keygen import command as keygen
from aigate.errors import InputError, VerificationFailure
from aigate.sign import key as keysign


def test_bundle_layout_and_roundtrip(keypair):
    payload = b'{"_type": "https://in-toto.io/Statement/v1"}'
    data = keysign.sign_dsse(payload, keysign.load_private_key(keypair[0]))
    doc = json.loads(data)
    assert doc["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    pub = keysign.load_public_key(keypair[1])
    assert doc["verificationMaterial"]["publicKey"]["hint"] == keysign.key_hint(pub)
    assert doc["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json"
    assert base64.b64decode(doc["dsseEnvelope"]["payload"]) == payload
    assert keysign.verify_dsse(data, pub, name="b") == ("application/vnd.in-toto+json", payload)
    assert keysign.bundle_kind(data) == "key"


def test_signatures_are_deterministic(keypair):
    key = keysign.load_private_key(keypair[0])
    assert keysign.sign_dsse(b"same", key) == keysign.sign_dsse(b"same", key)
    assert keysign.sign_dsse(b"same", key) != keysign.sign_dsse(b"other", key)


def test_changed_payload_or_type_fails(keypair):
    pub = keysign.load_public_key(keypair[1])
    doc = json.loads(keysign.sign_dsse(b"payload", keysign.load_private_key(keypair[0])))
    forged = dict(doc, dsseEnvelope=dict(doc["dsseEnvelope"], payload=base64.b64encode(b"payloaX").decode()))
    with pytest.raises(VerificationFailure, match="does not verify"):
        keysign.verify_dsse(json.dumps(forged).encode(), pub, name="b")
    retyped = dict(doc, dsseEnvelope=dict(doc["dsseEnvelope"], payloadType="text/plain"))
    with pytest.raises(VerificationFailure, match="does not verify"):
        keysign.verify_dsse(json.dumps(retyped).encode(), pub, name="b")


def test_hintless_bundle_from_another_key_fails_on_the_signature(keypair, openssl_keypair):
    doc = json.loads(keysign.sign_dsse(b"p", keysign.load_private_key(openssl_keypair[0])))
    del doc["verificationMaterial"]["publicKey"]["hint"]
    with pytest.raises(VerificationFailure, match="does not verify"):
        keysign.verify_dsse(json.dumps(doc).encode(), keysign.load_public_key(keypair[1]), name="b")


def test_openssl_keys_work(openssl_keypair):
    data = keysign.sign_dsse(b"p", keysign.load_private_key(openssl_keypair[0]))
    assert keysign.verify_dsse(data, keysign.load_public_key(openssl_keypair[1]), name="b")[1] == b"p"


def test_encrypted_key_uses_the_password_variable(tmp_path, monkeypatch):
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:hunter2",
            "-out",
            tmp_path / "enc.pem",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.delenv(keysign.KEY_PASSWORD_ENV, raising=False)
    with pytest.raises(InputError, match="encrypted"):
        keysign.load_private_key(tmp_path / "enc.pem")
    monkeypatch.setenv(keysign.KEY_PASSWORD_ENV, "hunter2")
    assert keysign.load_private_key(tmp_path / "enc.pem").curve.name == "secp256r1"


def test_wrong_curve_and_garbage_keys_are_input_errors(tmp_path):
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            tmp_path / "p384.pem",
        ],
        check=True,
        capture_output=True,
    )
    with pytest.raises(InputError, match="P-256"):
        keysign.load_private_key(tmp_path / "p384.pem")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(InputError, match="not a PEM private key"):
        keysign.load_private_key(tmp_path / "junk.pem")
    with pytest.raises(InputError, match="cannot read"):
        keysign.load_private_key(tmp_path / "absent.pem")


def test_keygen_command_writes_a_private_key_only_once(tmp_path):
    runner = CliRunner()
    result = runner.invoke(keygen, [str(tmp_path / "release.pem")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "release.pem").stat().st_mode & 0o777 == 0o600
    assert keysign.load_public_key(tmp_path / "release.pem.pub")
    again = runner.invoke(keygen, [str(tmp_path / "release.pem")])
    assert isinstance(again.exception, InputError) and "refusing to overwrite" in again.exception.message
