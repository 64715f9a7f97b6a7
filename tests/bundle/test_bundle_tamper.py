"""The tamper and fault suite: every way of altering a real bundle makes ``aigate verify`` exit 1
and name what is wrong; hostile archives are refused without writing anything outside."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from aigate.bundle import INDEX, MODEL_SIG, SIGNATURE, STATEMENT
from aigate.bundle.verify import verify_bundle
from aigate.errors import VerificationFailure

BUNDLE_FILES = [
    "attestation.intoto.json",
    "attestation.sigstore.json",
    "decision.json",
    "index.json",
    "input.json",
    "manifest.yaml",
    "model.sig",
    "report.md",
    "sbom.cdx.json",
]


@pytest.fixture
def bundle(tmp_path, project, make_bundle) -> Path:
    make_bundle(tmp_path / "b", project)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == BUNDLE_FILES
    return tmp_path / "b"


def test_untouched_bundle_verifies_with_artifacts(bundle, project, keypair, aigate):
    proc = aigate("verify", bundle, "--key", keypair[1], "--artifacts", project / "model")
    assert proc.returncode == 0
    assert "verified:" in proc.stdout and "artifacts: re-hashed and match" in proc.stdout
    proc = aigate("verify", bundle, "--key", keypair[1], "--artifacts", project, "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["verified"] and doc["artifacts_checked"] and doc["model_signature_checked"]
    assert doc["model"] == {"name": "fraud-detector", "version": "1.0.0"}


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_flipped_byte_in_any_file_fails(bundle, keypair, aigate, name):
    path = bundle / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1
    assert name in proc.stderr or (name == INDEX and STATEMENT in proc.stderr), proc.stderr


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_deleted_file_fails(bundle, keypair, aigate, name):
    (bundle / name).unlink()
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1
    assert name in proc.stderr
    assert "missing" in proc.stderr or name == INDEX


@pytest.mark.parametrize("extra", ["notes.txt", "sub/dir.json", "second.sigstore.json"])
def test_extra_file_fails(bundle, keypair, aigate, extra):
    target = bundle / extra
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("sneaked in\n")
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1
    assert extra in proc.stderr and "extra file" in proc.stderr


def test_signature_from_another_run_fails(tmp_path, bundle, new_project, make_bundle, keypair, aigate):
    other = make_bundle(tmp_path / "other", new_project(tmp_path / "p2", b"v2"), version="2.0.0")
    shutil.copy(other.path / SIGNATURE, bundle / SIGNATURE)
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1
    assert STATEMENT in proc.stderr and "swapped" in proc.stderr


def test_statement_and_signature_from_another_run_fail(
    tmp_path, bundle, new_project, make_bundle, keypair, aigate
):
    other = make_bundle(tmp_path / "other", new_project(tmp_path / "p2", b"v2"), version="2.0.0")
    for name in (SIGNATURE, STATEMENT):
        shutil.copy(other.path / name, bundle / name)
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1
    assert INDEX in proc.stderr and "another bundle" in proc.stderr


def test_statement_swapped_alone_fails(tmp_path, bundle, new_project, make_bundle, keypair, aigate):
    other = make_bundle(tmp_path / "other", new_project(tmp_path / "p2", b"v2"))
    shutil.copy(other.path / STATEMENT, bundle / STATEMENT)
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1 and STATEMENT in proc.stderr


def test_model_sig_from_another_run_fails(tmp_path, bundle, new_project, make_bundle, keypair):
    other = make_bundle(tmp_path / "other", new_project(tmp_path / "p2", b"v2"))
    shutil.copy(other.path / MODEL_SIG, bundle / MODEL_SIG)
    with pytest.raises(VerificationFailure, match=r"model\.sig"):
        verify_bundle(bundle, key=keypair[1])


def test_wrong_key_fails_and_missing_key_is_a_usage_error(bundle, other_keypair, aigate):
    proc = aigate("verify", bundle, "--key", other_keypair[1])
    assert proc.returncode == 1 and "another key" in proc.stderr
    proc = aigate("verify", bundle)
    assert proc.returncode == 2 and "--key" in proc.stderr


def test_missing_bundle_is_bad_input(tmp_path, keypair, aigate):
    proc = aigate("verify", tmp_path / "nope", "--key", keypair[1])
    assert proc.returncode == 2 and "no such bundle" in proc.stderr


def test_tampered_artifact_fails_with_artifacts(bundle, project, keypair, aigate):
    weights = project / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[0] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert aigate("verify", bundle, "--key", keypair[1]).returncode == 0  # the bundle itself is intact
    proc = aigate("verify", bundle, "--key", keypair[1], "--artifacts", project / "model")
    assert proc.returncode == 1 and "model/model.safetensors" in proc.stderr


def test_missing_artifact_fails(bundle, project, keypair, aigate):
    (project / "model" / "config.json").unlink()
    proc = aigate("verify", bundle, "--key", keypair[1], "--artifacts", project / "model")
    assert proc.returncode == 1 and "config.json" in proc.stderr and "missing" in proc.stderr


def test_archive_verifies_and_tampered_archive_fails(tmp_path, project, make_bundle, keypair, aigate):
    make_bundle(tmp_path / "b", project, tarball=tmp_path / "b.tar.gz")
    proc = aigate("verify", tmp_path / "b.tar.gz", "--key", keypair[1], "--artifacts", project / "model")
    assert proc.returncode == 0
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    _write_tar(tmp_path / "t.tar.gz", [(m, data.replace(b"pass", b"fail")) for m, data in members])
    proc = aigate("verify", tmp_path / "t.tar.gz", "--key", keypair[1])
    assert proc.returncode == 1 and "changed" in proc.stderr


def _write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)


def _hostile(kind: str) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    good = tarfile.TarInfo("index.json")
    out: list[tuple[tarfile.TarInfo, bytes | None]] = [(good, b"{}")]
    if kind == "dotdot":
        out.append((tarfile.TarInfo("../escaped.txt"), b"pwned"))
    elif kind == "absolute":
        out.append((tarfile.TarInfo("/tmp/aigate-escaped.txt"), b"pwned"))
    elif kind == "symlink":
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        out.append((link, None))
    elif kind == "hardlink":
        link = tarfile.TarInfo("hard")
        link.type, link.linkname = tarfile.LNKTYPE, "index.json"
        out.append((link, None))
    elif kind == "device":
        dev = tarfile.TarInfo("dev")
        dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 1, 3
        out.append((dev, None))
    elif kind == "fifo":
        fifo = tarfile.TarInfo("fifo")
        fifo.type = tarfile.FIFOTYPE
        out.append((fifo, None))
    elif kind == "nested-dotdot":
        out.append((tarfile.TarInfo("a/../../escaped.txt"), b"pwned"))
    return out


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("dotdot", "'..'"),
        ("nested-dotdot", "'..'"),
        ("absolute", "absolute"),
        ("symlink", "link"),
        ("hardlink", "link"),
        ("device", "not a regular file"),
        ("fifo", "not a regular file"),
    ],
)
def test_hostile_archive_is_refused_without_writing_outside(tmp_path, keypair, aigate, kind, reason):
    work = tmp_path / "work"
    work.mkdir()
    _write_tar(work / "evil.tar.gz", _hostile(kind))
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    proc = aigate("verify", work / "evil.tar.gz", "--key", keypair[1], cwd=work)
    assert proc.returncode == 1
    assert "refused" in proc.stderr and reason in proc.stderr
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before
    assert not Path("/tmp/aigate-escaped.txt").exists()


def test_symlink_inside_bundle_directory_is_refused(bundle, keypair, tmp_path, aigate):
    outside = tmp_path / "outside.md"
    outside.write_bytes((bundle / "report.md").read_bytes())
    (bundle / "report.md").unlink()
    (bundle / "report.md").symlink_to(outside)
    proc = aigate("verify", bundle, "--key", keypair[1])
    assert proc.returncode == 1 and "symlink" in proc.stderr


def test_garbage_archive_is_not_verified(tmp_path, keypair, aigate):
    (tmp_path / "x.tar.gz").write_bytes(b"not a tarball at all")
    proc = aigate("verify", tmp_path / "x.tar.gz", "--key", keypair[1])
    assert proc.returncode == 1 and "tar archive" in proc.stderr


def test_index_naming_an_artifact_outside_is_refused_before_any_read(tmp_path, project, make_bundle, aigate):
    make_bundle(tmp_path / "u", project, signing="none")
    index = json.loads((tmp_path / "u" / INDEX).read_bytes())
    index["artifacts"][0]["path"] = "../../etc/passwd"
    (tmp_path / "u" / INDEX).write_text(json.dumps(index))
    proc = aigate("verify", tmp_path / "u", "--unsafe-allow-unsigned", "--artifacts", project)
    assert proc.returncode == 1 and "not a plain relative path" in proc.stderr


def test_unsigned_bundle_needs_allow_unsigned(tmp_path, project, make_bundle, aigate):
    make_bundle(tmp_path / "u", project, signing="none")
    proc = aigate("verify", tmp_path / "u")
    assert proc.returncode == 1 and "unsigned" in proc.stderr
    proc = aigate("verify", tmp_path / "u", "--unsafe-allow-unsigned", "--artifacts", project)
    assert proc.returncode == 0 and "note: unsigned bundle" in proc.stdout


def test_json_format_reports_the_failure_on_stdout(bundle, keypair, aigate):
    (bundle / "decision.json").write_text("{}\n")
    proc = aigate("verify", bundle, "--key", keypair[1], "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["verified"] is False and "decision.json" in doc["error"]
