"""The organisation's policy data (in the project, anchored at the range base) names the key OPA
bundles must be signed with: ``policy_bundles.verification_key: keys/bundle.pub``. The release
author replaces ``keys/bundle.pub`` with their own public key and ships a bundle signed with
their own private key, whose policy never denies. The key file is read as committed at the range
base (the previous verified release), like the policy data itself, so the swapped key is never
used and the bundle does not verify: exit 2.

Not an attack that worked on main: a guard written with the feature. Its ``SEEN`` is the
mutation that proves the case can fail (the key read from the working tree)."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import jwt
from attack_runner import Attack

SEEN = (
    "mutation of opabundle.policy_data_key reading the key from the working tree (base=None): "
    "exit 0, PASS judged with the author's own bundle"
)
EXIT = 2
MESSAGE = "does not verify with the given key"

POLICY = b'package main\nimport rego.v1\n\ndeny contains msg if {\n  input.never\n  msg := "x"\n}\n'


def keypair(dest: Path, name: str) -> tuple[bytes, bytes]:
    """A P-256 key pair (PEM), the kind ``opa build --signing-key`` takes for ES256."""
    from aigate.sign.key import generate_keypair

    private, public = dest / f"{name}.pem", dest / f"{name}.pub"
    generate_keypair(private, public)
    return private.read_bytes(), public.read_bytes()


def signed_bundle(path: Path, private: bytes) -> None:
    """A bundle laid out as `opa build --signing-key` does: .signatures.json lists every file's hash."""
    listed = [
        {"name": "main/policy.rego", "hash": hashlib.sha256(POLICY).hexdigest(), "algorithm": "SHA-256"}
    ]
    token = jwt.encode({"files": listed}, private, algorithm="ES256")
    files = {"main/policy.rego": POLICY, ".signatures.json": json.dumps({"signatures": [token]}).encode()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def setup(a: Attack) -> list[str]:
    _org_private, org_public = keypair(a.tmp, "org")
    own_private, own_public = keypair(a.tmp, "author")
    data = a.policy()
    data["policy_bundles"] = {"verification_key": "keys/bundle.pub"}
    a.set_policy(data)
    a.commit("the organisation's bundle key", {"keys/bundle.pub": org_public})
    a.record_release()
    a.bump_version()
    signed_bundle(a.root / "policy" / "bundle.tar.gz", own_private)
    a.commit("release", {"keys/bundle.pub": own_public})
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return a.check_args(*a.history_args(), "--policy", str(a.root / "policy" / "bundle.tar.gz"))
