"""The writer: reproducible bytes, the statement and index contents, atomic replacement."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from aigate.bundle import INDEX, MODEL_SIG, SIGNATURE, STATEMENT
from aigate.bundle.verify import verify_bundle
from aigate.bundle.writer import (
    Artifact,
    BundleRequest,
    build_bundle,
    evidence_time,
    format_evidence_time,
    write_bundle,
)
from aigate.errors import GateFailure, InputError, SigningError, VerificationFailure
from aigate.sign import SigningMode


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_two_runs_give_byte_identical_bundles_and_archives(tmp_path, project, make_bundle):
    a = make_bundle(tmp_path / "a", project, tarball=tmp_path / "a.tar.gz")
    b = make_bundle(tmp_path / "b", project, tarball=tmp_path / "b.tar.gz")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert a.index_digest == b.index_digest
    assert a.signing == "key"
    assert set(_tree(tmp_path / "a")) >= {INDEX, STATEMENT, SIGNATURE, MODEL_SIG, "decision.json"}


def test_archive_metadata_is_fixed(tmp_path, project, make_bundle):
    make_bundle(tmp_path / "b", project, tarball=tmp_path / "b.tar.gz", evidence=1_767_225_600)
    raw = (tmp_path / "b.tar.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip header mtime 0
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert set(names) == set(_tree(tmp_path / "b"))
    for m in members:
        assert m.isreg() and m.uid == 0 and m.gid == 0 and m.mode == 0o644
        assert m.mtime == 1_767_225_600 and m.uname == "" and m.gname == ""
    with gzip.open(tmp_path / "b.tar.gz") as gz:
        assert len(gz.read()) > 0


def test_index_and_statement_contents(tmp_path, project, make_bundle):
    res = make_bundle(tmp_path / "b", project, version="1.4.0", previous="sha256:" + "cd" * 32)
    files = _tree(tmp_path / "b")
    index = json.loads(files[INDEX])
    assert index["tool_version"]
    assert index["policy_digest"] == "sha256:" + "ab" * 32
    assert index["previous_decision_digest"] == "sha256:" + "cd" * 32
    assert index["decision_digest"] == "sha256:" + hashlib.sha256(files["decision.json"]).hexdigest()
    assert res.decision_digest == index["decision_digest"]
    assert index["evidence_time"] == "2026-01-01T00:00:00Z"
    # every other file except the statement and its signature, with its real digest
    assert set(index["files"]) == set(files) - {INDEX, STATEMENT, SIGNATURE}
    for name, meta in index["files"].items():
        assert meta["sha256"] == hashlib.sha256(files[name]).hexdigest()
    stmt = json.loads(files[STATEMENT])
    subjects = {s["name"]: s["digest"]["sha256"] for s in stmt["subject"]}
    assert subjects == {
        "model/config.json": hashlib.sha256((project / "model/config.json").read_bytes()).hexdigest(),
        "model/model.safetensors": hashlib.sha256(
            (project / "model/model.safetensors").read_bytes()
        ).hexdigest(),
        "index.json": hashlib.sha256(files[INDEX]).hexdigest(),
    }
    pred = stmt["predicate"]
    assert stmt["predicateType"] == "https://slsa.dev/verification_summary/v1"
    assert pred["verificationResult"] == "PASSED"
    assert pred["timeVerified"] == "2026-01-01T00:00:00Z"
    assert pred["policy"]["digest"] == {"sha256": "ab" * 32}
    # SLSA VSA v1: at most one level per track, the highest
    assert pred["verifiedLevels"] == ["AIMA_SECURE_DEPLOYMENT_A_L2", "AIMA_SECURE_DEPLOYMENT_B_L1"]
    assert pred["resourceUri"] == "git+https://example.test/ml/fraud@1.4.0"
    assert pred["verifier"]["id"].startswith("https://")


def test_failed_decision_is_recorded_as_failed(tmp_path, project, make_bundle, keypair):
    make_bundle(tmp_path / "b", project, passed=False)
    stmt = json.loads((tmp_path / "b" / STATEMENT).read_bytes())
    assert stmt["predicate"]["verificationResult"] == "FAILED"
    assert verify_bundle(tmp_path / "b", key=keypair[1]).decision == "fail"


def test_statement_parses_with_in_toto_attestation_models(tmp_path, project, make_bundle):
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    make_bundle(tmp_path / "b", project)
    pb = json_format.Parse((tmp_path / "b" / STATEMENT).read_text(), statement_pb2.Statement())
    stmt = Statement.copy_from_pb(pb)
    stmt.validate()  # raises on a malformed statement
    assert stmt.pb.predicate_type == "https://slsa.dev/verification_summary/v1"
    assert [s.name for s in stmt.pb.subject][-1] == "index.json"


def test_existing_bundle_is_replaced_whole(tmp_path, project, make_bundle, keypair):
    make_bundle(tmp_path / "b", project, version="1.0.0", extra_files={"old-only.txt": b"x"})
    make_bundle(tmp_path / "b", project, version="1.0.1")
    assert not (tmp_path / "b" / "old-only.txt").exists()
    assert verify_bundle(tmp_path / "b", key=keypair[1]).model_version == "1.0.1"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_replace_a_directory_that_is_not_a_bundle(tmp_path, project, make_bundle):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an evidence bundle"):
        make_bundle(tmp_path / "b", project)
    assert (tmp_path / "b" / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "name", ["index.json", "model.sig", "x.sigstore.json", "../up", "/abs", "a/../b", ""]
)
def test_reserved_or_unsafe_names_are_refused(tmp_path, project, name):
    req = BundleRequest(
        files={"decision.json": b"{}", name: b"x"},
        artifacts=[],
        model_name="m",
        model_version="1",
        policy_digest="sha256:" + "0" * 64,
        previous_decision_digest=None,
        evidence_time=0,
        passed=True,
    )
    with pytest.raises(GateFailure):
        build_bundle(req)


def test_keyless_without_identity_fails_closed_unless_unsigned_is_allowed(
    tmp_path, project, make_bundle, keypair, monkeypatch
):
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
    with pytest.raises(SigningError) as info:
        make_bundle(tmp_path / "b", project, signing="keyless")
    assert info.value.exit_code == 3
    assert not (tmp_path / "b").exists()
    res = make_bundle(tmp_path / "u", project, signing="keyless", allow_unsigned=True)
    assert res.signing == "none" and res.unsigned_reason
    index = json.loads((tmp_path / "u" / INDEX).read_bytes())
    assert index["signing"] == "none" and "ambient OIDC" in index["unsigned_reason"]
    assert not (tmp_path / "u" / SIGNATURE).exists() and not (tmp_path / "u" / MODEL_SIG).exists()
    with pytest.raises(VerificationFailure, match="unsigned"):
        verify_bundle(tmp_path / "u", key=keypair[1])
    assert verify_bundle(tmp_path / "u", allow_unsigned=True).signing == "none"


def test_evidence_time_comes_from_source_date_epoch_or_commit_never_the_clock():
    assert evidence_time(commit_time=None, environ={"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01T00:00:00Z"
    assert evidence_time(commit_time=1_767_225_600, environ={}) == "2026-01-01T00:00:00Z"
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        evidence_time(commit_time=None, environ={})
    with pytest.raises(InputError):
        evidence_time(commit_time=None, environ={"SOURCE_DATE_EPOCH": "soon"})
    assert format_evidence_time("2026-01-01T01:00:00+01:00") == "2026-01-01T00:00:00Z"


def test_bad_artifact_digest_is_refused(tmp_path):
    req = BundleRequest(
        files={"decision.json": b"{}"},
        artifacts=[Artifact("m.bin", "not-hex", 1)],
        model_name="m",
        model_version="1",
        policy_digest="sha256:" + "0" * 64,
        previous_decision_digest=None,
        evidence_time=0,
        passed=True,
        signing=SigningMode("none"),
    )
    with pytest.raises(GateFailure, match="not a hex digest"):
        write_bundle(tmp_path / "b", req)


def test_artifacts_from_input_keeps_model_files_only():
    from aigate.bundle.writer import artifacts_from_input

    doc = [
        {
            "path": "model",
            "kind": "model",
            "files": [
                {"path": "model/b.bin", "size": 2, "sha256": "b" * 64},
                {"path": "model/a.bin", "size": 1, "sha256": "a" * 64},
            ],
        },
        {
            "path": "data/eval.csv",
            "kind": "data",
            "files": [{"path": "data/eval.csv", "size": 3, "sha256": "c" * 64}],
        },
    ]
    assert artifacts_from_input(doc) == [
        Artifact("model/a.bin", "a" * 64, 1),
        Artifact("model/b.bin", "b" * 64, 2),
    ]
    assert artifacts_from_input(None) == []


def test_archives_are_identical_across_processes(tmp_path, project, keypair):
    """Each write in its own interpreter with its own hash seed: nothing process-local leaks in."""
    import subprocess
    import sys

    script = """
import hashlib, sys
from pathlib import Path
from aigate.bundle.writer import Artifact, BundleRequest, write_bundle
from aigate.sign import SigningMode
root, key, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
arts = [Artifact(p, hashlib.sha256((root / p).read_bytes()).hexdigest(), (root / p).stat().st_size)
        for p in ("model/config.json", "model/model.safetensors")]
req = BundleRequest(files={"decision.json": b'{"decision": "pass"}\\n'}, artifacts=arts, model_name="m",
                    model_version="1", policy_digest="sha256:" + "0" * 64, previous_decision_digest=None,
                    evidence_time=1767225600, passed=True, signing=SigningMode.parse("key:" + key),
                    project_root=root)
write_bundle(out, req, tarball=out.with_suffix(".tar.gz"))
"""
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-c", script, str(project), str(keypair[0]), str(tmp_path / f"b{seed}")],
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
    assert (tmp_path / "b1.tar.gz").read_bytes() == (tmp_path / "b2.tar.gz").read_bytes()
