"""Environment capture and secret redaction."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from collect_secrets import FRAGMENTS as _FRAGMENTS
from collect_secrets import SECRET_VALUES as _SECRET_VALUES
from collect_secrets import SECRETS

from aigate.collect.environment import EnvironmentCollector, capture_env
from aigate.redact import (
    REDACTED,
    is_secret_name,
    redact_mapping,
    redact_output,
    redact_text,
    redact_value,
    secret_kinds,
)


def test_environment_document(make_ctx: Any) -> None:
    manifest = {
        "serving": {
            "image": "registry.example.com/fraud@sha256:" + "ab" * 32,
            "runtime_files": ["serving/config.yaml"],
        },
    }
    ctx = make_ctx(manifest)
    (ctx.root / "serving").mkdir()
    (ctx.root / "serving" / "config.yaml").write_text("workers: 2\n")
    ev = EnvironmentCollector().collect(ctx)
    env = ev.data
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["python"]["implementation"] == "CPython"
    assert env["cpu"]["count"] >= 1 and env["memory_bytes"] > 0
    assert env["container"] == {
        "image": manifest["serving"]["image"],
        "digest": "sha256:" + "ab" * 32,
        "pinned": True,
        "source": "manifest",
    }
    import hashlib

    assert env["runtime_files"] == {"serving/config.yaml": hashlib.sha256(b"workers: 2\n").hexdigest()}
    assert json.loads(ev.files["environment.json"]) == env
    # deterministic bytes for identical inputs
    assert EnvironmentCollector().collect(ctx).files["environment.json"] == ev.files["environment.json"]


def test_other_interpreter_is_probed_not_imported(make_ctx: Any, bare_venv: Path) -> None:
    ev = EnvironmentCollector().collect(make_ctx({}, python=str(bare_venv)))
    assert ev.data["python"]["target"] == "--python"
    assert ev.data["python"]["version"] == ".".join(map(str, sys.version_info[:3]))


def test_unpinned_image_is_recorded_as_such(make_ctx: Any) -> None:
    ev = EnvironmentCollector().collect(make_ctx({"serving": {"image": "python:3.11"}}))
    assert ev.data["container"]["pinned"] is False and ev.data["container"]["digest"] is None


def test_missing_python_is_an_input_error(make_ctx: Any, tmp_path: Path) -> None:
    from aigate.errors import InputError

    with pytest.raises(InputError, match="--python"):
        EnvironmentCollector().collect(make_ctx({}, python=str(tmp_path / "nope")))


def test_allowlist_and_redaction_by_name_and_value() -> None:
    environ = {
        "CI": "true",
        "GITHUB_RUN_ID": "123",
        "PIP_INDEX_URL": "https://deploy:hunter2hunter2@pypi.internal/simple",
        "HOME": "/home/me",  # not allowlisted: omitted, only counted
        "GITHUB_WORKFLOW": "release ghp_" + "A" * 36,  # allowlisted name, secret-shaped value
    }
    out = capture_env(environ, extra_allow=frozenset({"MY_API_TOKEN"}))
    assert out["env"]["CI"] == "true" and out["env"]["GITHUB_RUN_ID"] == "123"
    assert "HOME" not in out["env"] and out["omitted_count"] == 1
    assert out["env"]["PIP_INDEX_URL"] == f"https://deploy:{REDACTED}@pypi.internal/simple"
    assert out["env"]["GITHUB_WORKFLOW"] == f"release {REDACTED}"
    assert {r["name"] for r in out["redactions"]} == {"PIP_INDEX_URL", "GITHUB_WORKFLOW"}
    named = capture_env({"MY_API_TOKEN": "plain"}, extra_allow=frozenset({"MY_API_TOKEN"}))
    assert named["env"]["MY_API_TOKEN"] == REDACTED and named["redactions"] == [
        {"name": "MY_API_TOKEN", "reason": "name"}
    ]


def test_secret_names() -> None:
    for n in (
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "OPENAI_API_KEY",
        "GITHUB_PAT",
        "SENTRY_DSN",
    ):
        assert is_secret_name(n), n
    for n in ("PATH", "CI", "GITHUB_RUN_ID", "LANG", "PYTHONHASHSEED"):
        assert not is_secret_name(n), n


def test_no_secret_in_collector_outputs(
    monkeypatch: pytest.MonkeyPatch, make_ctx: Any, safetensors_writer: Any
) -> None:
    """Done-when 2 (collector half): 20 secrets in the environment of a full collection run.

    Every file each collector contributes to the bundle and every input-document value is
    serialised and searched for every secret. The lead extends this to the whole
    ``aigate check`` run (all bundle files, every ``--format``).
    """
    assert len(_SECRET_VALUES) == 20
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    from aigate.collect.artifacts import ArtifactsCollector
    from aigate.collect.licenses import LicensesCollector
    from aigate.collect.lock import LockCollector
    from aigate.collect.sbom import SbomCollector

    manifest = {
        "metadata": {"name": "d"},
        "model": {"name": "m", "version": "1", "artifacts": [{"path": "m.safetensors"}]},
    }
    ctx = make_ctx(manifest, options={"env_allow": ["DATABASE_URL"]})
    safetensors_writer(ctx.root / "m.safetensors")
    blobs: list[bytes] = []
    evidence: dict[str, Any] = {}
    for c in (
        EnvironmentCollector(),
        LockCollector(),
        LicensesCollector(),
        ArtifactsCollector(),
        SbomCollector(),
    ):
        ctx.options["evidence"] = evidence
        ev = c.collect(ctx)
        evidence[type(c).__name__] = ev.data
        blobs.append(json.dumps(ev.data, sort_keys=True).encode())
        blobs.extend(ev.files.values())
    everything = b"\n".join(blobs).decode("utf-8", "replace")
    for name, value in SECRETS.items():
        needle = _FRAGMENTS.get(name, value)
        if name == "CI_JOB_IMAGE":
            assert value in everything  # allowlisted and harmless: recorded
        else:
            assert needle not in everything, f"secret from {name} leaked"
    env = evidence["EnvironmentCollector"]
    assert env["env"]["DATABASE_URL"] == f"postgres://app:{REDACTED}@db.internal:5432/prod"
    assert {"name": "GITHUB_WORKFLOW", "reason": "value:api-key-sk"} in env["redactions"]


def test_redact_text_and_mapping() -> None:
    # the set is fixed here, not chosen by what the redactor detects: the three secrets with no
    # recognisable shape are caught by name (and only by name), the other 17 by value anywhere
    name_only = {"AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_PASSWORD", "WANDB_API_KEY"}
    checked = 0
    for name, v in SECRETS.items():
        if name == "CI_JOB_IMAGE":
            continue  # the one harmless value of the set
        needle = _FRAGMENTS.get(name, v)
        if name in name_only:
            assert secret_kinds(v) == [] and needle in redact_text(v), name
        else:
            assert secret_kinds(v) and needle not in redact_text(f"note {v} end"), name
        assert needle not in redact_value(name, v)[0], name  # as an environment variable
        assert needle not in redact_output(f"{name.lower()}: {v}\n{name}={v}"), name
        checked += 1
    assert checked == len(_SECRET_VALUES) == 20
    text = f"token={SECRETS['GITHUB_TOKEN']} url={SECRETS['DATABASE_URL']}"
    assert SECRETS["GITHUB_TOKEN"] not in redact_text(text) and "Pg-s3cr3t-pass" not in redact_text(text)
    data, red = redact_mapping({"env": {"API_KEY": "x", "note": SECRETS["HF_TOKEN"]}, "n": 1})
    assert data == {"env": {"API_KEY": REDACTED, "note": REDACTED}, "n": 1}
    assert red == [
        {"name": "env.API_KEY", "reason": "name"},
        {"name": "env.note", "reason": "value:huggingface-token"},
    ]


def test_ci_metadata_when_running_in_github_actions(make_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_REPOSITORY": "acme/fraud",
        "GITHUB_WORKFLOW": "release",
        "GITHUB_SHA": "a" * 40,
    }.items():
        monkeypatch.setenv(k, v)
    env = EnvironmentCollector().collect(make_ctx({})).data
    assert env["ci"]["provider"] == "github" and "4242" in json.dumps(env["ci"])
    assert env["env"]["GITHUB_RUN_ID"] == "4242"
