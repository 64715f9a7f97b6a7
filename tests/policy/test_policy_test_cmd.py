"""``aigate policy test``: OPA test semantics on OPA's Go engine, refusals on regopy.

conftest's own Kubernetes example (tests/policy/conftest_k8s/, unchanged) is the reference:
``conftest verify`` passes its 4 tests; so must aigate, in conftest's output shape.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aigate_cli import aigate

K8S = Path(__file__).parent / "conftest_k8s"
HEADER = "package main\nimport rego.v1\n\n"

pytestmark = pytest.mark.usefixtures("_opa_go")


@pytest.fixture
def _opa_go() -> None:
    from aigate.policy.testing import opa_go_available

    if not opa_go_available():
        import os

        assert not os.environ.get("CI"), "the OPA Go engine wheel must be installed in CI"
        pytest.skip("OPA Go engine wheel not installed")


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "policy"
    shutil.copytree(K8S, d, ignore=shutil.ignore_patterns("*.md"))
    return d


def _test(d: Path, *extra: str):
    return aigate("policy", "test", "--no-builtin", "--policy", str(d), *extra)


def test_conftest_kubernetes_unit_tests_pass_on_opa_go(tmp_path: Path) -> None:
    run = _test(_copy(tmp_path))
    assert run.returncode == 0, run
    assert run.stdout.splitlines()[-1] == "4 tests, 4 passed, 0 warnings, 0 failures, 0 exceptions", run
    doc = json.loads(_test(_copy(tmp_path / "j"), "--format", "json").stdout)
    assert doc["engine"] == "opa-go"
    assert {t["name"] for t in doc["tests"] if t["passed"]} == {
        "test_deployment_without_security_context",
        "test_deployment_with_security_context",
        "test_services_not_denied",
        "test_services_issue_warning",
    }


def test_a_broken_policy_fails_the_tests_that_cover_it(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    deny = d / "deny.rego"
    deny.write_text(deny.read_text().replace("must not run as root", "should not run as root"))
    run = _test(d)
    assert run.returncode == 1, run
    fails = [ln for ln in run.stdout.splitlines() if ln.startswith("FAIL - ")]
    assert fails == [
        f"FAIL - {d / 'base_test.rego'}:16 - data.main.test_deployment_without_security_context "
        "(false or undefined)"
    ], run
    assert run.stdout.splitlines()[-1] == "4 tests, 3 passed, 0 warnings, 1 failure, 0 exceptions"


def test_regopy_refuses_with_and_never_reports_zero_passed(tmp_path: Path) -> None:
    run = _test(_copy(tmp_path), "--engine", "regopy")
    assert run.returncode == 2, run
    assert "base_test.rego:17:63: `with` overrides are not evaluated reliably by regopy" in run.stderr, run
    assert "passed" not in run.stdout


def test_rego_v0_is_refused_never_reinterpreted(tmp_path: Path) -> None:
    for engine in ("opa-go", "regopy"):
        run = _test(_copy(tmp_path / engine), "--rego-version", "v0", "--engine", engine)
        assert run.returncode == 2 and "--rego-version v0 is not supported" in run.stderr, run


def test_with_data_override_and_runtime_error_follow_opa(tmp_path: Path) -> None:
    d = tmp_path / "p"
    d.mkdir()
    (d / "p.rego").write_text(HEADER + 'deny contains "limit" if count(input.items) > data.limits.max\n')
    (d / "p_test.rego").write_text(
        HEADER
        + 'test_data_override if { deny["limit"] with input as {"items": [1, 2]} with data.limits.max as 1 }\n'
        + 'test_no_deny_under_limit if { not deny["limit"] with input as {"items": [1]} with data.limits.max as 1 }\n'
        + "test_errors if { 1 / 0 == 1 }\n"
    )
    run = _test(d, "--format", "json")
    assert run.returncode == 1, run
    tests = {t["name"]: t for t in json.loads(run.stdout)["tests"]}
    assert tests["test_data_override"]["passed"] and tests["test_no_deny_under_limit"]["passed"], run
    assert not tests["test_errors"]["passed"] and "divide by zero" in tests["test_errors"]["error"], run


def test_a_test_that_does_not_compile_is_exit_2(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    (d / "broken_test.rego").write_text(HEADER + "test_x if no_such_function(1)\n")
    run = _test(d)
    assert (
        run.returncode == 2 and "policy does not compile" in run.stderr and "no_such_function" in run.stderr
    ), run


PRINTING = (
    HEADER + 'deny contains "x" if {\n\tprint("deny sees", input.kind)\n\tinput.kind == "Deployment"\n}\n'
)
PRINTING_TESTS = (
    HEADER
    + 'test_denies if {\n\tprint("checking the deployment")\n\tdeny with input as {"kind": "Deployment"}\n}\n\n'
    'test_fails if {\n\tprint("this one fails")\n\tcount(deny) == 1 with input as {"kind": "Service"}\n}\n'
)


def test_print_output_is_shown_as_opa_test_shows_it(tmp_path: Path) -> None:
    """`opa test`: a failed test's print() output is shown; with -v every test's."""
    d = tmp_path / "p"
    d.mkdir()
    (d / "p.rego").write_text(PRINTING)
    (d / "p_test.rego").write_text(PRINTING_TESTS)
    run = _test(d)
    assert run.returncode == 1, run
    lines = run.stdout.splitlines()
    at = lines.index(f"FAIL - {d / 'p_test.rego'}:9 - data.main.test_fails (false or undefined)")
    assert lines[at + 1 : at + 3] == [
        f"PRNT   {d / 'p_test.rego'}:10: this one fails",
        f"PRNT   {d / 'p.rego'}:5: deny sees Service",
    ], run
    assert "checking the deployment" not in run.stdout  # a passing test's prints: only with -v
    verbose = _test(d, "-v")
    assert f"PRNT   {d / 'p_test.rego'}:5: checking the deployment" in verbose.stdout, verbose
    doc = json.loads(_test(d, "--format", "json").stdout)
    by_name = {t["name"]: t for t in doc["tests"]}
    assert by_name["test_denies"]["output"] == [
        f"{d / 'p_test.rego'}:5: checking the deployment",
        f"{d / 'p.rego'}:5: deny sees Deployment",
    ]
    assert "notes" not in doc


def test_regopy_says_once_that_print_output_is_unavailable(tmp_path: Path) -> None:
    d = tmp_path / "p"
    d.mkdir()
    (d / "p.rego").write_text(PRINTING)
    (d / "p_test.rego").write_text(
        HEADER + 'test_a if {\n\tprint("a")\n\ttrue\n}\n\ntest_b if {\n\tprint("b")\n\ttrue\n}\n'
    )
    run = _test(d, "--engine", "regopy")
    assert run.returncode == 0, run
    notes = [ln for ln in run.stdout.splitlines() if "print() output is not available on regopy" in ln]
    assert len(notes) == 1 and "--engine opa-go" in notes[0], run
    doc = json.loads(_test(d, "--engine", "regopy", "--format", "json").stdout)
    assert len(doc["notes"]) == 1 and "not available on regopy" in doc["notes"][0]
    # no print() call (a `print` in a comment or string does not count): nothing to say
    (d / "p.rego").write_text(HEADER + '# print("x")\nmsg := "print(1)"\ndeny contains msg if false\n')
    (d / "p_test.rego").write_text(HEADER + "test_a if true\n")
    run = _test(d, "--engine", "regopy")
    assert run.returncode == 0 and "print() output" not in run.stdout, run
