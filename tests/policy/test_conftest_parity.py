"""conftest parity: conftest's own examples and acceptance cases, run through ``aigate check``.

The policies and inputs under ``conftest_cases/`` are conftest's (see its README); each test
states the outcome conftest's acceptance tests (``acceptance.bats``, ``tests/*/test.bats``)
document for it: exit code, the ``N tests, N passed, ...`` line (here the ``user policies:``
line, since aigate's own controls are counted on the next line) and messages. Where aigate
deliberately differs (it fails closed), the test says so and asserts aigate's behaviour.
User policies run beside the built-in controls on a committed copy of the fraud-detector example
(whose controls pass), so the exit code is the user policies' verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from aigate_cli import Run, aigate, clean_env, committed_copy

CASES = Path(__file__).parent / "conftest_cases"
SUMMARY = re.compile(r"^user policies: (.*)$", re.MULTILINE)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return committed_copy("fraud-detector", tmp_path_factory.mktemp("conftest"))


def check(
    project: Path, policy: str, *inputs: str, extra: tuple[str, ...] = (), stdin: str | None = None
) -> Run:
    args = [
        "check",
        "--dry-run",
        "-C",
        str(project),
        "--policy",
        str(CASES / policy),
        *extra,
    ]
    for name in inputs:
        args += ["--input", name if name in ("-", "") else str(CASES / name)]
    if stdin is None:
        return aigate(*args, cwd=project)
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", *args],
        cwd=project,
        env=clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(args, proc.returncode, proc.stdout, proc.stderr)


def summary(run: Run) -> str:
    found = SUMMARY.findall(run.stdout)
    assert len(found) == 1, run
    return str(found[0])


# -- kubernetes -----------------------------------------------------------------------------


def test_service_with_a_warning_passes_and_counts_per_rule_definition(project: Path) -> None:
    run = check(project, "kubernetes/policy", "kubernetes/service.yaml")
    assert run.returncode == 0, run
    assert summary(run) == "5 tests, 4 passed, 1 warning, 0 failures, 0 exceptions", run
    src = CASES / "kubernetes/service.yaml"
    assert f"WARN - {src} - main - Found service hello-kubernetes but services are not allowed" in run.stdout


def test_blank_filename_is_ignored(project: Path) -> None:
    run = check(project, "kubernetes/policy", "kubernetes/service.yaml", "")
    assert run.returncode == 0, run


def test_deployment_with_root_containers_fails_once_per_result(project: Path) -> None:
    run = check(project, "kubernetes/policy", "kubernetes/deployment.yaml")
    assert run.returncode == 1, run
    fails = [
        ln
        for ln in run.stdout.splitlines()
        if ln.startswith(f"FAIL - {CASES / 'kubernetes/deployment.yaml'}")
    ]
    assert len(fails) == 4, run  # conftest: "Output results only once" (4 results + the count line)
    assert any("Containers must not run as root in Deployment hello-kubernetes" in ln for ln in fails)
    assert any("Found deployment hello-kubernetes but deployments are not allowed" in ln for ln in fails)
    assert summary(run) == "5 tests, 1 passed, 0 warnings, 4 failures, 0 exceptions", run


def test_fail_on_warn(project: Path) -> None:
    run = check(project, "kubernetes/policy", "kubernetes/service.yaml", extra=("--fail-on-warn",))
    assert run.returncode == 1, run  # conftest: 1 for warnings under --fail-on-warn


def test_multi_file_fails_when_last_file_is_fine(project: Path) -> None:
    run = check(project, "kubernetes/policy", "kubernetes/deployment.yaml", "kubernetes/service.yaml")
    assert run.returncode == 1, run


def test_stdin_defaults_to_yaml(project: Path) -> None:
    service = (CASES / "kubernetes/service.yaml").read_text()
    run = check(project, "kubernetes/policy", "-", stdin=service)
    assert run.returncode == 0 and "WARN - - - main - Found service hello-kubernetes" in run.stdout, run
    run = check(project, "kubernetes/policy", "-", extra=("--parser", "yaml"), stdin=service)
    assert run.returncode == 0, run


def test_multiple_input_types(project: Path) -> None:
    run = check(project, "kubernetes/policy", "traefik/traefik.toml", "kubernetes/service.yaml")
    assert run.returncode == 0, run
    assert "Found service hello-kubernetes but services are not allowed" in run.stdout


def test_blank_namespace_is_an_error_not_a_pass(project: Path) -> None:
    # deliberate difference: conftest passes (exit 0) when --namespace matches nothing
    run = check(
        project, "kubernetes/policy", "kubernetes/deployment.yaml", extra=("--namespace", "notpresent")
    )
    assert run.returncode == 2 and "namespace 'notpresent' matches no policy package" in run.stderr, run


def test_print_output_is_shown_first(project: Path) -> None:
    run = check(project, "report/policy_print/labels.rego", "kubernetes/deployment.yaml")
    assert run.returncode == 1, run
    if "engine: opa-go" not in run.stdout:
        pytest.skip("print() output needs the OPA Go engine (regopy discards it)")
    first = run.stdout.splitlines()[0]
    assert re.fullmatch(r"PRNT   .*report/policy_print/labels\.rego:14: hello-kubernetes", first), run


# -- exceptions, data, combine, counts ------------------------------------------------------


def test_exceptions_are_counted_and_shown(project: Path) -> None:
    run = check(project, "exceptions/policy", "exceptions/deployments.yaml")
    assert run.returncode == 1, run
    assert summary(run) == "2 tests, 0 passed, 0 warnings, 1 failure, 1 exception", run
    src = CASES / "exceptions/deployments.yaml"
    assert f'EXCP - {src} - main - data.main.exception[_][_] == "run_as_root"' in run.stdout, run


def test_exception_on_a_warn_rule(project: Path, tmp_path: Path) -> None:
    (tmp_path / "p.rego").write_text(
        "package main\nimport rego.v1\n"
        'warn_no_limits contains "no limits" if input.kind == "Deployment"\n'
        'deny_root contains "root" if input.root\n'
        'exception contains ["no_limits"] if input.metadata.name == "legacy"\n'
    )
    doc = tmp_path / "d.yaml"
    doc.write_text("kind: Deployment\nmetadata: {name: legacy}\n")
    run = check(project, str(tmp_path / "p.rego"), str(doc))
    assert run.returncode == 0, run
    assert summary(run) == "2 tests, 1 passed, 0 warnings, 0 failures, 1 exception", run
    assert 'data.main.exception[_][_] == "no_limits"' in run.stdout and "WARN - " + str(doc) not in run.stdout


def test_user_data_is_loaded_under_data(project: Path) -> None:
    run = check(
        project, "data/policy", "data/service.yaml", extra=("--user-data", str(CASES / "data/exclusions"))
    )
    assert run.returncode == 1 and "Cannot expose port 22 on LoadBalancer" in run.stdout, run


def test_combine_yaml_files(project: Path) -> None:
    run = check(
        project,
        "combine/policy",
        "combine/team.yaml",
        "combine/user1.yaml",
        "combine/user2.yaml",
        extra=("--combine",),
    )
    assert run.returncode == 1, run
    assert summary(run).startswith("2 tests, 1 passed, 0 warnings, 1 failure"), run
    assert "FAIL - Combined - main - " in run.stdout, run


def test_combine_multi_document_file_has_the_same_result(project: Path) -> None:
    run = check(project, "combine/policy", "combine/team.yaml", "combine/users.yaml", extra=("--combine",))
    assert run.returncode == 1, run
    assert summary(run).startswith("2 tests, 1 passed, 0 warnings, 1 failure"), run


@pytest.mark.parametrize(
    ("name", "code", "counts"),
    [
        ("docker-compose.yml", 1, "2 tests, 0 passed, 0 warnings, 2 failures, 0 exceptions"),
        ("docker-compose-valid.yml", 0, "2 tests, 2 passed, 0 warnings, 0 failures, 0 exceptions"),
    ],
)
def test_compose_counts(project: Path, name: str, code: int, counts: str) -> None:
    run = check(project, "compose/policy", f"compose/{name}")
    assert run.returncode == code and summary(run) == counts, run


def test_multiple_failures_of_one_rule_are_counted_each(project: Path) -> None:
    run = check(project, "return-multiple-failures/policy.rego", "return-multiple-failures/file.json")
    assert run.returncode == 1 and summary(run).startswith("3 tests, 0 passed, 0 warnings, 3 failures"), run


def test_empty_yaml_is_evaluated_once(project: Path) -> None:
    run = check(project, "problematic-if/policy/valid.rego", "problematic-if/data.yaml")
    assert run.returncode == 1 and summary(run) == "1 test, 0 passed, 0 warnings, 1 failure, 0 exceptions", (
        run
    )


def test_bare_boolean_deny_fails_closed(project: Path) -> None:
    # deliberate difference: conftest counts `deny if { true }` as a pass; a true deny is a deny here
    run = check(project, "problematic-if/policy/valid_bare_deny.rego", "problematic-if/data.yaml")
    assert run.returncode == 1 and summary(run) == "1 test, 0 passed, 0 warnings, 1 failure, 0 exceptions", (
        run
    )


def test_json_top_level_array_is_one_document_per_element(project: Path, tmp_path: Path) -> None:
    (tmp_path / "p.rego").write_text(
        'package main\nimport rego.v1\ndeny contains sprintf("%s is root", [input.name]) if input.root\n'
    )
    doc = tmp_path / "list.json"
    doc.write_text('[{"name": "a", "root": true}, {"name": "b", "root": false}, {"name": "c", "root": true}]')
    run = check(project, str(tmp_path / "p.rego"), str(doc))
    assert run.returncode == 1, run
    assert summary(run) == "3 tests, 1 passed, 0 warnings, 2 failures, 0 exceptions", run
    assert "- main - a is root" in run.stdout and "- main - c is root" in run.stdout


# -- parsers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("traefik/traefik.toml", 1, "Following ciphers are not allowed"),
        ("ini/grafana.ini", 1, "Users should verify their e-mail address"),
        ("hcl2/terraform.tf", 1, "ALB `my-alb-listener` is using HTTP rather than HTTPS"),
        ("docker/Dockerfile", 1, 'unallowed image found ["openjdk:8-jdk-alpine"]'),
        ("xml/pom.xml", 1, "--- maven-plugin must have the version: 3.6.1"),
        ("jsonnet/arith.jsonnet", 1, "Concat array should be less than 3"),
        ("properties/sample.properties", 0, None),
        ("dotenv/sample.env", 0, None),
    ],
)
def test_parsers(project: Path, case: str, code: int, message: str | None) -> None:
    run = check(project, case.split("/")[0] + "/policy", case)
    assert run.returncode == code, run
    if message:
        assert message in run.stdout, run


def test_hcl2_shape_matches_conftest(project: Path) -> None:
    run = check(project, "hcl2/policy", "hcl2/terraform.tf")
    for msg in ("ASG `my-rule` defines a fully open ingress", "Azure disk `source` is not encrypted"):
        assert msg in run.stdout, run


def test_ini_from_stdin_with_parser(project: Path) -> None:
    run = check(
        project, "ini/policy", "-", extra=("--parser", "ini"), stdin=(CASES / "ini/grafana.ini").read_text()
    )
    assert run.returncode == 1 and "Users should verify their e-mail address" in run.stdout, run
    assert "Basic auth should be enabled" not in run.stdout


@pytest.mark.parametrize(
    ("namespaces", "image", "commands"),
    [
        (("--all-namespaces",), True, True),
        (("--namespace", "main"), True, False),
        (("--namespace", "*"), True, True),
        (("--namespace", "c*"), False, True),
    ],
)
def test_dockerfile_namespaces(
    project: Path, namespaces: tuple[str, ...], image: bool, commands: bool
) -> None:
    run = check(project, "docker/policy", "docker/Dockerfile", extra=namespaces)
    assert run.returncode == 1, run
    assert ('unallowed image found ["openjdk:8-jdk-alpine"]' in run.stdout) is image, run
    cmd = 'unallowed commands found ["apk add --no-cache python3 python3-dev build-base && pip3 install awscli==1.18.1"]'
    assert (cmd in run.stdout) is commands, run


def test_parser_override_forces_the_parser(project: Path) -> None:
    # conftest: --parser ini on a .tf file parses it as INI, and the policy fails
    run = check(project, "hcl2/policy", "ini/grafana.ini", extra=("--parser", "hcl2"))
    assert run.returncode == 2 and "grafana.ini" in run.stderr, run


# -- what aigate refuses -------------------------------------------------------------------


def test_a_file_with_no_parser_is_exit_2_naming_it(project: Path, tmp_path: Path) -> None:
    vcl = tmp_path / "varnish.vcl"
    vcl.write_text('backend default { .port = "8081"; }\n')
    run = check(project, "kubernetes/policy", str(vcl))
    assert run.returncode == 2 and f"{vcl}: no parser for this file name" in run.stderr, run
    assert "Traceback" not in run.stderr


def test_bad_input_is_exit_2_with_its_line(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('a = 1\nb = "unterminated\n')
    run = check(project, "traefik/policy", str(bad))
    assert run.returncode == 2 and f"{bad}:2" in run.stderr and "Traceback" not in run.stderr, run


def test_missing_parser_library_names_the_extra(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "block" / "hcl2"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked by the test')\n")
    args = [
        "check",
        "--dry-run",
        "-C",
        str(project),
        "--policy",
        str(CASES / "hcl2/policy"),
        "--input",
        str(CASES / "hcl2/terraform.tf"),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=clean_env({"PYTHONPATH": str(tmp_path / "block")}),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert "python-hcl2" in proc.stderr and "aigate[conftest]" in proc.stderr, proc.stderr


def test_old_style_policy_never_prints_an_empty_failure(project: Path, tmp_path: Path) -> None:
    (tmp_path / "v0.rego").write_text(
        'package main\n\ndeny[msg] {\n  input.kind == "Pod"\n  msg := "no pods"\n}\n'
    )
    run = check(project, str(tmp_path / "v0.rego"), "kubernetes/deployment.yaml")
    assert "FAIL - " + str(CASES / "kubernetes/deployment.yaml") + " - main - {}" not in run.stdout, run
    assert run.returncode == 2, run  # v0 syntax is refused (rego.v1 is the default), never reinterpreted


def test_manifest_is_offered_only_when_asked(project: Path, tmp_path: Path) -> None:
    (tmp_path / "p.rego").write_text(
        'package main\nimport rego.v1\ndeny contains "manifest seen" if input.model\n'
    )
    run = check(project, str(tmp_path / "p.rego"), "kubernetes/service.yaml")
    assert run.returncode == 0 and "manifest seen" not in run.stdout, run
    run = check(project, str(tmp_path / "p.rego"), "kubernetes/service.yaml", extra=("--policy-manifest",))
    assert run.returncode == 1 and "manifest seen" in run.stdout, run


def test_cyclonedx_json_with_its_parser_name(project: Path) -> None:
    run = check(project, "cyclonedx/policy", "cyclonedx/cyclonedx.json", extra=("--parser", "cyclonedx"))
    assert run.returncode == 0, run
    assert summary(run) == "1 test, 1 passed, 0 warnings, 0 failures, 0 exceptions", run
