"""The OCI evidence store against a real registry (CNCF distribution), cross-checked with skopeo.

The image is pushed by skopeo; aigate pushes the evidence with the image as its subject, finds it
among the image's referrers, pulls it and verifies it like a local bundle. The stored manifest
and layer are read back with skopeo, not with aigate's client.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy
from registry_support import PASSWORD, USER, Registry, push_image, skopeo_raw

ARTIFACT_TYPE = "application/vnd.aigate.evidence.v1+json"  # documented in docs/bundle.md


@pytest.fixture(scope="module")
def signed_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(project, bundle .tar.gz, public key): a recorded, key-signed run of the passing example."""
    tmp = tmp_path_factory.mktemp("oci-bundle")
    project = committed_copy("fraud-detector", tmp)
    key = tmp / "release-key"
    assert aigate("keygen", str(key)).returncode == 0
    r = aigate(
        "check",
        "-C",
        str(project),
        "--sign",
        f"key:{key}",
        "--bundle-dir",
        str(tmp / "bundle"),
        "--tar",
        "-q",
    )
    assert r.returncode == 0, r
    return project, tmp / "bundle.tar.gz", Path(f"{key}.pub")


def _docker_config(tmp: Path, reg: Registry, user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    import base64

    d = tmp / "docker-config"
    d.mkdir(exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (d / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
    return {"DOCKER_CONFIG": str(d)}


def _reg_args(reg: Registry) -> list[str]:
    return ["--registry-ca", str(reg.ca)] if reg.tls else ["--plain-http"]


@pytest.mark.parametrize("kind", ["plain", "tls"])
def test_push_then_verify_image_referrers(kind, request, tmp_path, signed_bundle):
    reg: Registry = request.getfixturevalue(f"{kind}_registry")
    env = _docker_config(tmp_path, reg) if reg.auth else {}
    _project, tarball, pub = signed_bundle
    image = push_image(reg, "ml/fraud-detector", "1.4.0", tmp_path)
    pushed = aigate(
        "push",
        str(tarball),
        f"oci://{reg.host}/ml/fraud-detector",
        "--subject",
        image,
        "--format",
        "json",
        *_reg_args(reg),
        env=env,
    )
    assert pushed.returncode == 0, pushed
    ref = json.loads(pushed.stdout)["reference"].removeprefix("oci://")
    # what skopeo reads back: an aigate artifact whose subject is the image, the tarball byte-identical
    manifest = json.loads(skopeo_raw(reg, ref))
    assert manifest["artifactType"] == ARTIFACT_TYPE
    assert manifest["subject"]["digest"] == image
    [tar_layer] = [
        item
        for item in manifest["layers"]
        if item["mediaType"] == "application/vnd.aigate.bundle.v1.tar+gzip"
    ]
    assert tar_layer["digest"] == "sha256:" + hashlib.sha256(tarball.read_bytes()).hexdigest()
    repo_path = (
        reg.root
        / "docker/registry/v2/blobs/sha256"
        / tar_layer["digest"][7:9]
        / tar_layer["digest"][7:]
        / "data"
    )
    assert repo_path.read_bytes() == tarball.read_bytes()  # stored byte for byte
    v = aigate(
        "verify",
        "--image",
        f"{reg.host}/ml/fraud-detector@{image}",
        "--key",
        str(pub),
        "--format",
        "json",
        *_reg_args(reg),
        env=env,
    )
    assert v.returncode == 0, v
    out = json.loads(v.stdout)
    assert out["decision"] == "pass" and out["path"] == f"oci://{ref}"
    direct = aigate("verify", f"oci://{ref}", "--key", str(pub), *_reg_args(reg), env=env)
    assert direct.returncode == 0, direct
    assert PASSWORD not in pushed.stdout + pushed.stderr + v.stdout + v.stderr


def test_wrong_credentials_exit_3_without_printing_them(tls_registry, tmp_path, signed_bundle):
    _project, tarball, _pub = signed_bundle
    env = _docker_config(tmp_path, tls_registry, password="wrong-password-91c2")
    r = aigate(
        "push",
        str(tarball),
        f"oci://{tls_registry.host}/ml/fraud-detector",
        *_reg_args(tls_registry),
        env=env,
    )
    assert r.returncode == 3, r
    assert "not authorised" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "wrong-password-91c2" not in r.stdout + r.stderr


def test_tls_is_verified_without_the_ca(tls_registry, tmp_path, signed_bundle):
    _project, tarball, _pub = signed_bundle
    r = aigate(
        "push",
        str(tarball),
        f"oci://{tls_registry.host}/ml/fraud-detector",
        env=_docker_config(tmp_path, tls_registry),
    )
    assert r.returncode == 3 and "TLS verification failed" in r.stderr, r


def test_plain_http_is_refused_for_a_non_loopback_registry(signed_bundle):
    _project, tarball, _pub = signed_bundle
    r = aigate("push", str(tarball), "oci://registry.example.com/ml/x", "--plain-http")
    assert r.returncode == 2 and "loopback" in r.stderr, r


def test_registry_down_is_exit_3(tmp_path, signed_bundle):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _project, tarball, _pub = signed_bundle
    r = aigate("push", str(tarball), f"oci://127.0.0.1:{port}/ml/x", "--plain-http")
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1, r


def test_layer_that_does_not_match_its_digest_is_refused(plain_registry, tmp_path, signed_bundle):
    _project, tarball, pub = signed_bundle
    image = push_image(plain_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    r = aigate(
        "push",
        str(tarball),
        f"oci://{plain_registry.host}/ml/fraud-detector",
        "--subject",
        image,
        "--plain-http",
        "--format",
        "json",
    )
    ref = json.loads(r.stdout)["reference"].removeprefix("oci://")
    manifest = json.loads(skopeo_raw(plain_registry, ref))
    [tar_layer] = [item for item in manifest["layers"] if item["mediaType"].endswith("tar+gzip")]
    data = (
        plain_registry.root
        / "docker/registry/v2/blobs/sha256"
        / tar_layer["digest"][7:9]
        / tar_layer["digest"][7:]
        / "data"
    )
    raw = bytearray(data.read_bytes())
    raw[100] ^= 0xFF  # the registry now serves other bytes under the same digest
    data.write_bytes(bytes(raw))
    v = aigate("verify", f"oci://{ref}", "--key", str(pub), "--plain-http")
    assert v.returncode == 1 and "does not match its digest" in v.stderr, v


def test_a_referrer_that_is_not_aigate_evidence(plain_registry, tmp_path, signed_bundle):
    """Another tool's referrer of the same image is not counted, and verifying it directly fails."""
    import requests

    image = push_image(plain_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    base = f"http://{plain_registry.host}/v2/ml/fraud-detector"
    empty = b"{}"
    digest = "sha256:" + hashlib.sha256(empty).hexdigest()
    loc = requests.post(f"{base}/blobs/uploads/", timeout=10).headers["Location"]
    requests.put(f"{loc}{'&' if '?' in loc else '?'}digest={digest}", data=empty, timeout=10)
    other = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest, "size": 2}],
        "subject": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": image,
            "size": len(skopeo_raw(plain_registry, f"{plain_registry.host}/ml/fraud-detector@{image}")),
        },
    }
    body = json.dumps(other).encode()
    odigest = "sha256:" + hashlib.sha256(body).hexdigest()
    assert (
        requests.put(
            f"{base}/manifests/{odigest}", data=body, headers={"Content-Type": other["mediaType"]}, timeout=10
        ).status_code
        == 201
    )
    v = aigate(
        "verify",
        "--image",
        f"{plain_registry.host}/ml/fraud-detector@{image}",
        "--plain-http",
        "--unsafe-allow-unsigned",
    )
    assert v.returncode == 1 and "no aigate evidence refers to" in v.stderr, v
    d = aigate(
        "verify",
        f"oci://{plain_registry.host}/ml/fraud-detector@{odigest}",
        "--plain-http",
        "--unsafe-allow-unsigned",
    )
    assert d.returncode == 1 and "not aigate evidence" in d.stderr, d


def test_a_layer_beyond_the_limit_is_refused_before_download(plain_registry, tmp_path, signed_bundle):
    _project, tarball, pub = signed_bundle
    image = push_image(plain_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    r = aigate(
        "push",
        str(tarball),
        f"oci://{plain_registry.host}/ml/fraud-detector",
        "--subject",
        image,
        "--plain-http",
        "--format",
        "json",
    )
    ref = json.loads(r.stdout)["reference"]
    v = aigate("verify", ref, "--key", str(pub), "--plain-http", "--max-pull-bytes", "4096")
    assert v.returncode == 1 and "outside 0..4096 bytes" in v.stderr, v


def test_check_push_records_and_pushes(plain_registry, tmp_path):
    project = committed_copy("fraud-detector", tmp_path)
    key = tmp_path / "k"
    assert aigate("keygen", str(key)).returncode == 0
    image = push_image(plain_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    manifest = project / "aigate.yaml"
    text = manifest.read_text()
    import re

    pinned = re.sub(r"(image: )\S+", rf"\g<1>{plain_registry.host}/ml/fraud-detector@{image}", text, count=1)
    assert pinned != text
    manifest.write_text(pinned)
    r = aigate(
        "check",
        "-C",
        str(project),
        "--sign",
        f"key:{key}",
        "--bundle-dir",
        str(tmp_path / "b"),
        "--push",
        f"oci://{plain_registry.host}/ml/fraud-detector",
        "--plain-http",
        "-q",
    )
    assert r.returncode == 0 and "pushed the evidence to oci://" in r.stderr, r
    v = aigate(
        "verify",
        "--image",
        f"{plain_registry.host}/ml/fraud-detector@{image}",
        "--key",
        f"{key}.pub",
        "--plain-http",
    )
    assert v.returncode == 0, v
    shutil.rmtree(tmp_path / "b")


def test_credentials_from_a_docker_credential_helper(tls_registry, tmp_path, signed_bundle):
    """``credsStore`` in the Docker config: aigate asks ``docker-credential-<name> get`` (a shell
    script on PATH stands in for a real helper such as docker-credential-pass) for the registry."""
    import os

    _project, tarball, _pub = signed_bundle
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-teststore"
    helper.write_text(
        "#!/bin/sh\n"
        "read host\n"
        f'[ "$host" = "{tls_registry.host}" ] || exit 1\n'
        f'printf \'%s\' \'{{"ServerURL":"{tls_registry.host}","Username":"{USER}","Secret":"{PASSWORD}"}}\'\n'
    )
    helper.chmod(0o755)
    conf = tmp_path / "docker-config"
    conf.mkdir()
    (conf / "config.json").write_text(json.dumps({"credsStore": "teststore"}))
    env = {"DOCKER_CONFIG": str(conf), "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    image = push_image(tls_registry, "ml/fraud-detector", "1.4.0", tmp_path)
    r = aigate(
        "push",
        str(tarball),
        f"oci://{tls_registry.host}/ml/fraud-detector",
        "--subject",
        image,
        *_reg_args(tls_registry),
        env=env,
    )
    assert r.returncode == 0, r
    assert PASSWORD not in r.stdout + r.stderr
