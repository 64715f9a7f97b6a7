"""A real OCI registry for the evidence-store and CI-integration tests: Debian's docker-registry (CNCF distribution).

Each fixture starts its own registry process on 127.0.0.1 with a generated config: one over plain
HTTP, one over TLS with a test CA and htpasswd (bcrypt) basic auth. Images are pushed into it by
skopeo from an OCI layout written here, so the image the evidence refers to was not made by aigate.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from ci_support import missing

USER, PASSWORD = "release-bot", "s3cret-registry-pass-7f3a"


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT
    root: Path  # storage root
    ca: Path | None = None
    auth: tuple[str, str] | None = None

    @property
    def tls(self) -> bool:
        return self.ca is not None

    def skopeo_flags(self, direction: str = "") -> list[str]:
        """skopeo's TLS/auth flags: ``dest`` for copy's destination, "" for inspect."""
        p = f"{direction}-" if direction else ""
        flags = [f"--{p}tls-verify={'true' if self.tls else 'false'}"]
        if self.ca is not None:
            flags.append(f"--{p}cert-dir={self.ca.parent}")
        if self.auth:
            flags.append(f"--{p}creds={self.auth[0]}:{self.auth[1]}")
        return flags


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        missing(f"{name} is not installed (Debian: apt-get install {name}; tests/install-deps.sh does it)")
    assert path
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_ca(d: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 (cryptography), PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aigate test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    certs = d / "certs"
    certs.mkdir()
    ca_pem = certs / "ca.crt"  # skopeo's cert-dir reads *.crt as CAs
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server = d / "server.crt"
    server.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server_key = d / "server.key"
    server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem, server, server_key


def _start(d: Path, *, tls: bool) -> Iterator[Registry]:
    exe = _tool("docker-registry")
    port = _free_port()
    root = d / "storage"
    lines = [
        "version: 0.1",
        "log: {level: error}",
        f"storage: {{filesystem: {{rootdirectory: {root}}}, delete: {{enabled: true}}}}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
    ]
    ca = None
    auth = None
    if tls:
        import bcrypt

        ca, cert, key = _make_ca(d)
        lines.append(f"  tls: {{certificate: {cert}, key: {key}}}")
        (d / "htpasswd").write_text(
            f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
        )
        lines.append(f"auth: {{htpasswd: {{realm: aigate-test, path: {d / 'htpasswd'}}}}}")
        auth = (USER, PASSWORD)
    config = d / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log = (d / "registry.log").open("wb")
    proc = subprocess.Popen([exe, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v2/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = requests.get(url, verify=str(ca) if ca else True, timeout=1)
                if r.status_code in (200, 401):
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the registry did not start: {(d / 'registry.log').read_text()[-500:]}")
            time.sleep(0.1)
        yield Registry(f"127.0.0.1:{port}", root, ca, auth)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def plain_registry(tmp_path: Path) -> Iterator[Registry]:
    (tmp_path / "registry-plain").mkdir()
    yield from _start(tmp_path / "registry-plain", tls=False)


@pytest.fixture
def tls_registry(tmp_path: Path) -> Iterator[Registry]:
    (tmp_path / "registry-tls").mkdir()
    yield from _start(tmp_path / "registry-tls", tls=True)


def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def push_image(reg: Registry, repo: str, tag: str, tmp: Path) -> str:
    """Push a small real image (one layer) with skopeo from an OCI layout; return its manifest digest."""
    layout = tmp / f"layout-{tag}"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = f"model server {tag}\n".encode()
        info = tarfile.TarInfo("srv/VERSION")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    layer_tar = raw.getvalue()
    layer = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        **_blob(layout, gzip.compress(layer_tar, mtime=0)),
    }
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(layer_tar).hexdigest()}"]},
    }
    cfg = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        **_blob(layout, json.dumps(config).encode()),
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cfg,
        "layers": [layer],
    }
    mbytes = json.dumps(manifest).encode()
    desc = {
        "mediaType": manifest["mediaType"],
        **_blob(layout, mbytes),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    subprocess.run(
        [
            _tool("skopeo"),
            "copy",
            "--quiet",
            "--preserve-digests",
            *reg.skopeo_flags("dest"),
            f"oci:{layout}:{tag}",
            f"docker://{reg.host}/{repo}:{tag}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return str(desc["digest"])


def skopeo_raw(reg: Registry, ref: str) -> bytes:
    out = subprocess.run(
        [_tool("skopeo"), "inspect", "--raw", *reg.skopeo_flags(), f"docker://{ref}"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.stdout


def pin_serving_image(project: Path, reg: Registry, repo: str, digest: str) -> None:
    """Point the manifest's serving image at ``repo@digest`` in ``reg`` and commit the change."""
    import re

    manifest = project / "aigate.yaml"
    text = manifest.read_text()
    pinned = re.sub(r"(image: )\S+", rf"\g<1>{reg.host}/{repo}@{digest}", text, count=1)
    assert pinned != text, "the manifest names no serving image"
    manifest.write_text(pinned)
    subprocess.run(
        ["git", "-C", str(project), "commit", "-q", "-am", "serve the image from the test registry"],
        check=True,
    )
