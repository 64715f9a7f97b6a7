"""``--engine opa``: the same decision as the embedded engine, through a real HTTP exchange.

The peer is ``OpaStandIn`` on 127.0.0.1, standing in for an organisation's central OPA server: it
compiles the whole stored policy set on every PUT with OPA's own Go engine (``opa_bindings``) and
evaluates with it, so agreement with the embedded engine is a comparison with OPA, not with itself.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aigate_cli import Run, aigate, committed_copy, git

from policy.opa_standin import OpaStandIn

EXAMPLES = ("fraud-detector", "fraud-detector-failing")
DEADLINE = 2.0


def _project(tmp_path: Path, message: str = "must run as non-root") -> Path:
    """The passing example plus a conftest-style user policy and a Kubernetes input it denies."""
    project = committed_copy("fraud-detector", tmp_path)
    (project / "policy").mkdir()
    (project / "policy" / "k8s.rego").write_text(
        "package main\nimport rego.v1\n\n"
        "# a decoy: neither the string nor this comment may be rewritten: package aigate.x data.aigate\n"
        'decoy := "package aigate.evil data.aigate.config"\n\n'
        "name := input.metadata.name\n\n"
        'deny contains msg if { input.kind == "Deployment"\n'
        "  not input.spec.template.spec.securityContext.runAsNonRoot\n"
        f'  msg := sprintf("%s {message} (%s)", [data.main.name, decoy]) }}\n'
    )
    (project / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: scorer\nspec:\n  template:\n    spec: {}\n"
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "user policy")
    return project


def _decision(run_stdout: str) -> dict:
    doc = json.loads(run_stdout)
    return {
        "decision": doc["decision"],
        "maturity": doc["maturity"],
        "findings": sorted(json.dumps(f, sort_keys=True) for f in doc["findings"]),
    }


def _assert_same(remote: str, embedded: str) -> None:
    """Same decision, maturity and findings; on a difference, show exactly the differing findings."""
    a, b = _decision(remote), _decision(embedded)
    only_remote = sorted(set(a["findings"]) - set(b["findings"]))
    only_embedded = sorted(set(b["findings"]) - set(a["findings"]))
    assert a == b, {"only OPA server": only_remote, "only embedded": only_embedded}


def _user_args() -> list[str]:
    return ["check", "--dry-run", "--policy", "policy", "--input", "deploy.yaml", "--format", "json"]


def _free_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_match_embedded(tmp_path: Path, example: str) -> None:
    project = committed_copy(example, tmp_path)
    args = ["check", "--dry-run", "--data", str(project / "policy-data.yaml"), "--format", "json"]
    embedded = aigate(*args, cwd=project)
    assert embedded.returncode in (0, 1), embedded
    with OpaStandIn() as opa:
        remote = aigate(*args, "--engine", "opa", "--opa-url", opa.url, cwd=project)
        uploaded = [p for m, p in opa.requests if m == "PUT" and p.startswith("/v1/policies/")]
        left_policies, left_data, most = dict(opa.policies), dict(opa.data), opa.max_policies
    assert remote.returncode == embedded.returncode, remote
    _assert_same(remote.stdout, embedded.stdout)
    assert len(_decision(remote.stdout)["findings"]) >= 20
    # the whole built-in library was stored at once (OPA compiled it as one set), then removed
    assert most == len(set(uploaded)) >= 20
    assert left_policies == {} and left_data == {}, "the run must delete its modules and data"


def test_user_policies_match_embedded_and_are_isolated_by_root(tmp_path: Path) -> None:
    project = _project(tmp_path)
    embedded = aigate(*_user_args(), cwd=project)
    assert embedded.returncode == 1, embedded
    with OpaStandIn() as opa:
        remote = aigate(*_user_args(), "--engine", "opa", "--opa-url", opa.url, cwd=project)
        uploaded = [p for m, p in opa.requests if m == "PUT" and p.startswith("/v1/policies/")]
        queried = [p for m, p in opa.requests if m == "POST"]
    assert remote.returncode == 1, remote
    _assert_same(remote.stdout, embedded.stdout)
    assert any(
        "scorer must run as non-root (package aigate.evil data.aigate.config)" in f
        for f in _decision(remote.stdout)["findings"]
    )
    run_ids = {p.split("/")[4] for p in uploaded}
    assert len(run_ids) == 1 and all(p.startswith("/v1/policies/aigate/") for p in uploaded)
    root = f"aigate_run_{run_ids.pop()}"
    assert f"/v1/data/{root}/aigate/controls" in queried and f"/v1/data/{root}/main" in queried
    assert uploaded.index(next(p for p in uploaded if p.endswith("lib/util.rego"))) == 0


def test_concurrent_runs_on_one_server_are_isolated(tmp_path: Path) -> None:
    """Two runs with different policy sets, same package ``main``, both stored on the server at once."""
    projects = [_project(tmp_path / "a", "is run A"), _project(tmp_path / "b", "is run B")]
    (projects[1] / "policy" / "extra.rego").write_text(
        'package main\nimport rego.v1\n\nwarn contains "only in run B" if { input.kind }\n'
    )
    embedded = [aigate(*_user_args(), cwd=p) for p in projects]
    results: dict[int, Run] = {}
    with OpaStandIn(barrier=2) as opa:
        threads = [
            threading.Thread(
                target=lambda i=i: results.__setitem__(
                    i, aigate(*_user_args(), "--engine", "opa", "--opa-url", opa.url, cwd=projects[i])
                )
            )
            for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        most, left = opa.max_policies, dict(opa.policies)
    for i in range(2):
        assert results[i].returncode == 1, results[i]
        _assert_same(results[i].stdout, embedded[i].stdout)
    a, b = (_decision(results[i].stdout)["findings"] for i in range(2))
    assert any("is run A" in f for f in a) and not any("run B" in f for f in a)
    assert any("is run B" in f for f in b) and any("only in run B" in f for f in b)
    from aigate.policy.library import builtin_set

    # both libraries and both user sets (1 + 2 modules) were stored on the server at the same time
    assert most == 2 * len(builtin_set().modules) + 3, most
    assert left == {}


@pytest.mark.parametrize("fault", ["500", "slow", "trickle", "malformed", "undefined"])
def test_server_faults_exit_3_within_the_deadline(tmp_path: Path, fault: str) -> None:
    project = _project(tmp_path)
    with OpaStandIn(fault=fault, slow_seconds=300, trickle_seconds=1.0) as opa:
        start = time.monotonic()
        run = aigate(
            *_user_args(),
            "--engine",
            "opa",
            "--opa-url",
            opa.url,
            "--opa-timeout",
            str(DEADLINE),
            cwd=project,
        )
        elapsed = time.monotonic() - start
        left = dict(opa.policies)
    assert run.returncode == 3, run
    assert run.stdout == "", run
    assert len(run.stderr.strip().splitlines()) <= 2, run
    assert "Traceback" not in run.stderr
    # one query deadline plus the run's own work and clean-up (slow on a loaded machine), never the
    # server's 300 s (slow) or the 100+ s a trickled answer takes (1 s per byte: no single read
    # waits long enough for a per-read timeout; only the total deadline stops it)
    assert elapsed < 90, elapsed
    assert left == {}, "the modules are deleted even when a query failed"


def test_server_faults_during_upload_exit_3(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with OpaStandIn(fault="trickle", fault_methods=("PUT",), trickle_seconds=1.0) as opa:
        start = time.monotonic()
        run = aigate(
            *_user_args(), "--engine", "opa", "--opa-url", opa.url, "--opa-timeout", "1.5", cwd=project
        )
        elapsed = time.monotonic() - start
    assert run.returncode == 3, run
    assert "no complete answer within 1.5 s (PUT /v1/data/aigate_run_" in run.stderr, run
    assert elapsed < 90, elapsed


def test_token_from_the_environment_and_401(tmp_path: Path) -> None:
    project = _project(tmp_path)
    secret = "tok-4f1d9c-very-secret"
    with OpaStandIn(token=secret) as opa:
        refused = aigate(*_user_args(), "--engine", "opa", "--opa-url", opa.url, cwd=project)
        wrong = aigate(
            *_user_args(),
            "--engine",
            "opa",
            "--opa-url",
            opa.url,
            cwd=project,
            env={"AIGATE_OPA_TOKEN": "wrong-" + secret},
        )
        accepted = aigate(
            *_user_args(),
            "--engine",
            "opa",
            "--opa-url",
            opa.url,
            cwd=project,
            env={"AIGATE_OPA_TOKEN": secret},
        )
    assert refused.returncode == 3 and "(HTTP 401)" in refused.stderr, refused
    assert wrong.returncode == 3 and secret not in wrong.stderr + wrong.stdout, wrong
    assert accepted.returncode == 1, accepted
    assert secret not in accepted.stdout + accepted.stderr


def test_server_down_exits_3_and_userinfo_is_never_printed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    port = _free_port()
    run = aigate(
        *_user_args(), "--engine", "opa", "--opa-url", f"http://alice:pa55w0rd@127.0.0.1:{port}", cwd=project
    )
    assert run.returncode == 3, run
    assert run.stderr.startswith(f"aigate: error: OPA server http://127.0.0.1:{port}: unreachable"), run
    assert "pa55w0rd" not in run.stderr and "alice" not in run.stderr, run
    bad = aigate(*_user_args(), "--engine", "opa", "--opa-url", "ftp://bob:hunter2@x/", cwd=project)
    assert bad.returncode == 2 and "hunter2" not in bad.stderr and "bob" not in bad.stderr, bad


def test_https_verifies_the_certificate_by_default(tmp_path: Path) -> None:
    """A TLS server with a self-signed certificate: refused (exit 3) unless --opa-ca names it."""
    import ssl
    import subprocess

    project = _project(tmp_path)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    with OpaStandIn() as opa:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        opa.server.socket = ctx.wrap_socket(opa.server.socket, server_side=True)
        url = opa.url.replace("http://", "https://")
        refused = aigate(*_user_args(), "--engine", "opa", "--opa-url", url, cwd=project)
        trusted = aigate(
            *_user_args(), "--engine", "opa", "--opa-url", url, "--opa-ca", str(cert), cwd=project
        )
    assert refused.returncode == 3 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr, refused
    assert trusted.returncode == 1, trusted


def test_opa_compile_error_exits_2_with_position(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "policy" / "broken.rego").write_text(
        "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := data.main.nope(input.x)\n}\n"
    )
    with OpaStandIn() as opa:
        run = aigate(*_user_args(), "--engine", "opa", "--opa-url", opa.url, cwd=project)
        left = dict(opa.policies)
    assert run.returncode == 2, run
    assert "policy/broken.rego:5" in run.stderr and "undefined function data.main.nope" in run.stderr, run
    assert "aigate_run_" not in run.stderr, run
    assert left == {}


def test_opa_engine_needs_url(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = aigate("check", "--dry-run", "--fast", "--engine", "opa", cwd=project)
    assert run.returncode == 2, run
    assert "--engine opa needs --opa-url" in run.stderr


def test_preloaded_bundle_is_queried_in_place(tmp_path: Path) -> None:
    """--opa-preloaded: the library is loaded on the server as a bundle owning data.aigate."""
    from aigate.policy.library import builtin_set

    project = committed_copy("fraud-detector", tmp_path)
    args = ["check", "--dry-run", "--format", "json"]
    embedded = aigate(*args, cwd=project)
    with OpaStandIn() as opa:
        missing = aigate(*args, "--engine", "opa", "--opa-url", opa.url, "--opa-preloaded", cwd=project)
        from aigate.policydata import load_policy_data

        opa.load_bundle(
            "aigate-library",
            {m.name: m.source for m in builtin_set().modules},
            {"aigate": {"config": load_policy_data(()).data}},
            {"roots": ["aigate"], "revision": "r1"},
        )
        remote = aigate(*args, "--engine", "opa", "--opa-url", opa.url, "--opa-preloaded", cwd=project)
        uploads = [p for m, p in opa.requests if m in ("PUT", "PATCH")]
    assert missing.returncode == 3 and "no bundle on the server owns data.aigate" in missing.stderr, missing
    assert remote.returncode == embedded.returncode, remote
    _assert_same(remote.stdout, embedded.stdout)
    assert uploads == []


def test_parse_error_position_is_the_original_one(tmp_path: Path) -> None:
    """The run's root is inserted into the source; OPA's column must still point into the user's file."""
    from opa_bindings.engine import OpaEngine, OpaError

    from policy.opa_standin import opa_errors

    source = "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := data.main.name + data.x ]\n}\n"
    reference = OpaEngine()
    with pytest.raises(OpaError) as info:
        reference.add_policy("broken.rego", source)
    ref = opa_errors(info.value.message)[0]  # OPA on the unrewritten file: the expected position
    project = _project(tmp_path)
    (project / "policy" / "broken.rego").write_text(source)
    with OpaStandIn() as opa:
        run = aigate(*_user_args(), "--engine", "opa", "--opa-url", opa.url, cwd=project)
    assert run.returncode == 2, run
    row, col = ref["location"]["row"], ref["location"]["col"]
    assert ref["message"].startswith("unexpected ] token"), ref
    assert f"policy/broken.rego:{row}:{col}: policy does not compile: unexpected ] token" in run.stderr, run


def _preloaded_run(tmp_path: Path, policies: dict[str, str], config: dict[str, Any]) -> Run:
    project = committed_copy("fraud-detector", tmp_path)
    with OpaStandIn() as opa:
        opa.load_bundle(
            "aigate-library",
            policies,
            {"aigate": {"config": config}},
            {"roots": ["aigate"], "revision": "r7"},
        )
        return aigate(
            "check", "--dry-run", "--format", "json", "--engine", "opa", "--opa-url", opa.url, "--opa-preloaded",
            cwd=project,
        )  # fmt: skip


def test_preloaded_library_that_differs_from_this_aigate_is_refused(tmp_path: Path) -> None:
    """The decision names this aigate's library digest: a server judging with another library
    (one control edited to pass everything) must not produce it."""
    from aigate.policy.library import builtin_set
    from aigate.policydata import load_policy_data

    policies = {m.name: m.source for m in builtin_set().modules}
    name = next(n for n in policies if n.endswith("controls/rbac.rego"))
    policies[name] = policies[name].replace("deny contains f if {", "deny contains f if {\n\tfalse", 1)
    assert policies[name] != {m.name: m.source for m in builtin_set().modules}[name]
    run = _preloaded_run(tmp_path, policies, load_policy_data(()).data)
    assert run.returncode == 3, run
    assert "is not this aigate's: 1 module(s) only on the server, 1 only here" in run.stderr
    assert "aigate-library@r7" in run.stderr and "rbac.rego" in run.stderr
    assert run.stdout == ""


def test_preloaded_policy_data_that_differs_from_this_run_is_refused(tmp_path: Path) -> None:
    """A server whose data.aigate.config lowers the bar (required levels 0) is not this run's bar."""
    from aigate.policy.library import builtin_set
    from aigate.policydata import load_policy_data

    config = load_policy_data(()).data
    lowered = {**config, "required_levels": {"A": 0, "B": 0}}
    assert lowered != config
    run = _preloaded_run(tmp_path, {m.name: m.source for m in builtin_set().modules}, lowered)
    assert run.returncode == 3, run
    assert "data.aigate.config on the server differs from the policy data this run loaded" in run.stderr
