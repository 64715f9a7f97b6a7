"""History from the registry: the decision chain, rollback and the previous release read from
``oci://`` give the same answers as the same bundles in a directory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from aigate_cli import aigate, committed_copy
from registry_support import Registry, push_image


def _release(project: Path, version: str, when: str) -> None:
    manifest = project / "aigate.yaml"
    text = manifest.read_text()
    old = next(line for line in text.splitlines() if line.startswith("  version: "))
    manifest.write_text(text.replace(old, f"  version: {version}", 1))
    subprocess.run(
        ["git", "-C", str(project), "commit", "-q", "-am", f"release {version}"],
        check=True,
        env={
            "GIT_COMMITTER_DATE": when,
            "GIT_AUTHOR_DATE": when,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.test",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.test",
            "PATH": "/usr/bin:/bin",
        },
    )


def _strip_paths(doc: dict) -> dict:
    out = json.loads(json.dumps(doc))
    out.pop("store", None)
    for r in [*out.get("releases", []), out.get("head") or {}]:
        r.pop("path", None)
    out.pop("bundle", None)
    for s in out.get("skipped", []):
        s.pop("path", None)
    return out


def test_chain_rollback_and_previous_from_the_registry(plain_registry: Registry, tmp_path: Path) -> None:
    project = committed_copy("fraud-detector", tmp_path)
    key = tmp_path / "k"
    assert aigate("keygen", str(key)).returncode == 0
    pub = f"{key}.pub"
    store = f"oci://{plain_registry.host}/ml/fraud-detector"
    image = push_image(plain_registry, "ml/fraud-detector", "serving", tmp_path)
    manifest = project / "aigate.yaml"
    manifest.write_text(
        re.sub(r"(image: )\S+", rf"\g<1>{plain_registry.host}/ml/fraud-detector@{image}", manifest.read_text(), count=1)
    )
    local = tmp_path / "local-store"
    local.mkdir()
    for i, version in enumerate(("1.4.0", "1.5.0", "1.6.0")):
        _release(project, version, f"2026-01-0{i + 2}T00:00:00Z")
        r = aigate(
            "check",
            "-C",
            str(project),
            "--sign",
            f"key:{key}",
            "--bundles",
            store,
            "--verify-key",
            pub,
            "--bundle-dir",
            str(tmp_path / f"B-{version}"),
            "--push",
            store,
            "--plain-http",
            "-q",
        )
        assert r.returncode == 0, r
        shutil.copytree(tmp_path / f"B-{version}", local / version)
    oci_audit = aigate(
        "audit", "verify", "--bundles", store, "--key", pub, "--plain-http", "--format", "json"
    )
    dir_audit = aigate("audit", "verify", "--bundles", str(local), "--key", pub, "--format", "json")
    assert oci_audit.returncode == dir_audit.returncode == 0, oci_audit
    oci_doc, dir_doc = json.loads(oci_audit.stdout), json.loads(dir_audit.stdout)
    assert [r["version"] for r in oci_doc["releases"]] == ["1.4.0", "1.5.0", "1.6.0"]
    assert oci_doc["releases"][2]["previous_decision_digest"] == oci_doc["releases"][1]["decision_digest"]
    assert _strip_paths(oci_doc) == _strip_paths(dir_doc)
    assert all(r["path"].startswith(store + "@sha256:") for r in oci_doc["releases"])
    oci_rb = aigate("rollback", "--bundles", store, "--key", pub, "--plain-http", "--format", "json")
    dir_rb = aigate("rollback", "--bundles", str(local), "--key", pub, "--format", "json")
    assert oci_rb.returncode == dir_rb.returncode == 0, oci_rb
    assert json.loads(oci_rb.stdout)["version"] == "1.5.0"
    assert _strip_paths(json.loads(oci_rb.stdout)) == _strip_paths(json.loads(dir_rb.stdout))
    # --previous from the registry, by digest: the chain link is the same as from the directory
    head = oci_doc["releases"][2]["path"].removeprefix("oci://")
    _release(project, "1.7.0", "2026-01-09T00:00:00Z")
    from_oci = aigate(
        "check",
        "-C",
        str(project),
        "--dry-run",
        "--previous",
        f"oci://{head}",
        "--verify-key",
        pub,
        "--plain-http",
        "--format",
        "json",
        "--bundle-dir",
        str(tmp_path / "B-oci"),
    )
    from_dir = aigate(
        "check",
        "-C",
        str(project),
        "--dry-run",
        "--previous",
        str(local / "1.6.0"),
        "--verify-key",
        pub,
        "--format",
        "json",
        "--bundle-dir",
        str(tmp_path / "B-dir"),
    )
    assert from_oci.returncode == from_dir.returncode == 0, from_oci
    prev_oci = json.loads((tmp_path / "B-oci" / "index.json").read_text())["previous_decision_digest"]
    prev_dir = json.loads((tmp_path / "B-dir" / "index.json").read_text())["previous_decision_digest"]
    assert prev_oci == prev_dir == oci_doc["releases"][2]["decision_digest"]
