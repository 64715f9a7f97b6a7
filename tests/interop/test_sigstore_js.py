"""sigstore-js (@sigstore/verify, an independent implementation) accepts aigate's key-signed
statement bundle and model.sig, and rejects them when they are altered or the key is wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess

from aigate.bundle import MODEL_SIG, SIGNATURE, STATEMENT
from aigate.sign.key import generate_keypair


def _run(cmd: list[str], *args: object) -> tuple[int, dict]:
    proc = subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, timeout=60)
    print(proc.stdout, proc.stderr)
    return proc.returncode, json.loads(proc.stdout)


def test_statement_signature_verifies_with_sigstore_js(signed, node_verifier):
    bundle, pub, _ = signed
    code, out = _run(node_verifier, bundle.path / SIGNATURE, pub)
    assert code == 0 and out["verified"] is True
    assert out["payloadType"] == "application/vnd.in-toto+json"
    assert out["payloadSha256"] == hashlib.sha256((bundle.path / STATEMENT).read_bytes()).hexdigest()


def test_model_sig_verifies_with_sigstore_js(signed, node_verifier):
    bundle, pub, _ = signed
    code, out = _run(node_verifier, bundle.path / MODEL_SIG, pub)
    assert code == 0 and out["verified"] is True


def test_sigstore_js_rejects_an_altered_payload(signed, node_verifier, tmp_path):
    bundle, pub, _ = signed
    doc = json.loads((bundle.path / SIGNATURE).read_bytes())
    payload = base64.b64decode(doc["dsseEnvelope"]["payload"]).replace(b"PASSED", b"FAILED")
    doc["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    (tmp_path / "forged.json").write_text(json.dumps(doc))
    code, out = _run(node_verifier, tmp_path / "forged.json", pub)
    assert code == 1 and out["verified"] is False and "signature" in out["error"]


def test_sigstore_js_rejects_another_key(signed, node_verifier, tmp_path):
    bundle, _, _ = signed
    generate_keypair(tmp_path / "o.pem", tmp_path / "o.pub")
    code, out = _run(node_verifier, bundle.path / SIGNATURE, tmp_path / "o.pub")
    assert code == 1 and out["verified"] is False
