"""regopy fails closed: what it mis-evaluates is refused (exit 2, file:line:col, the rewrite).

Each attack is first shown to be real on regopy itself (the construct yields nothing where OPA's
Go engine, the reference, denies), then shown refused by the real ``aigate check``; the
rewrites the message recommends are shown to deny on regopy exactly as OPA does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aigate_cli import EXAMPLES, aigate

from aigate.errors import InputError
from aigate.policy.interface import PolicyModule
from aigate.policy.regolint import lint_for_regopy, package_of, tokenize

HEADER = "package main\nimport rego.v1\n\n"
DEPLOYMENT = {
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx:latest"}]}}},
}
CONTAINERS = "input.spec.template.spec.containers"
# (id, rule body that mis-evaluates on regopy: `i` is first bound by an index inside a call)
MISEVALUATED = [
    ("endswith", f'some i; endswith({CONTAINERS}[i].image, ":latest")'),
    ("second-arg", f'some i; startswith("nginx:latest", {CONTAINERS}[i].image)'),
    ("implicit", f'endswith({CONTAINERS}[i].image, ":latest")'),
    ("count", f"some i; count({CONTAINERS}[i].name) == 1"),
    ("regex", f'some i; regex.match(":latest$", {CONTAINERS}[i].image)'),
    ("user-fn", f"some i; is_latest({CONTAINERS}[i].image)"),
    (
        "comprehension",
        f'n := count([c | some i; endswith({CONTAINERS}[i].image, ":latest"); c := i]); n > 0',
    ),
]
REWRITES = [
    f'some c in {CONTAINERS}; endswith(c.image, ":latest")',
    f'c := {CONTAINERS}[_]; endswith(c.image, ":latest")',
    f'some i; c := {CONTAINERS}[i]; endswith(c.image, ":latest")',
]


def _policy(body: str) -> str:
    return (
        HEADER + 'is_latest(s) if endswith(s, ":latest")\n\n'
        f'deny contains msg if {{ input.kind == "Deployment"; {body}; msg := "latest tag" }}\n'
    )


def _regopy_deny(source: str, doc: object) -> object:
    from aigate.policy.embedded import EmbeddedEngine

    engine = EmbeddedEngine()
    engine.compile([PolicyModule("k.rego", source)], {})
    return engine.query("main.deny", doc)


def _opa_deny(source: str, doc: object) -> object:
    opa = pytest.importorskip("opa_bindings.engine")
    engine = opa.OpaEngine()
    try:
        engine.add_policy("k.rego", source)
        rows = engine.eval_query("x = data.main.deny", doc)
    finally:
        engine.close()
    return rows[0]["x"] if rows else None


@pytest.mark.parametrize(("case", "body"), MISEVALUATED, ids=[c for c, _ in MISEVALUATED])
def test_the_attack_is_real_and_refused(case: str, body: str) -> None:
    source = _policy(body)
    col = source.splitlines()[5].index("[i]") + 2  # the `i` of the first `[i]`, 1-based
    assert _opa_deny(source, DEPLOYMENT) == ["latest tag"], "OPA (the reference) denies"
    assert _regopy_deny(source, DEPLOYMENT) in ([], None), "regopy silently yields nothing"
    with pytest.raises(InputError) as err:
        lint_for_regopy([PolicyModule("k.rego", source)])
    assert err.value.position is not None and (err.value.position.line, err.value.position.column) == (6, col)
    assert "some c in" in err.value.one_line() and "--engine opa-go" in err.value.one_line()


@pytest.mark.parametrize("body", REWRITES)
def test_the_recommended_rewrites_deny_on_regopy_as_on_opa(body: str) -> None:
    source = _policy(body)
    lint_for_regopy([PolicyModule("k.rego", source)])
    assert _regopy_deny(source, DEPLOYMENT) == ["latest tag"] == _opa_deny(source, DEPLOYMENT)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        (HEADER + f'deny contains "x" if endswith({CONTAINERS}[_].image, ":latest")\n', "`_` inside a call"),
        ('package main\n\ndeny[msg] {\n  input.x\n  msg := "a"\n}\n', "Rego v0"),
        (HEADER + "p := 1 if { input.a } else { true }\n", "Rego v0"),
        (HEADER + 'test_a if { data.main.deny with input as {"kind": "Deployment"} }\n', "`with`"),
    ],
)
def test_other_misevaluated_constructs_are_refused(source: str, what: str) -> None:
    with pytest.raises(InputError) as err:
        lint_for_regopy([PolicyModule("k.rego", source)])
    assert what in err.value.one_line() and err.value.position is not None


def test_strings_raw_strings_and_comments_are_not_code() -> None:
    source = (
        HEADER + '# deny[msg] { endswith(input.x[i], "a") }\n'
        'a := "endswith(input.x[i].y, \\"}\\") {"\n'
        'b := `\nsome i; endswith(input.x[i], "a") {\n`\n'
        'c := {"k": [1, 2]}\n'
    )
    lint_for_regopy([PolicyModule("k.rego", source)])
    kinds = [t.kind for t in tokenize(source, "k.rego")]
    assert kinds.count("raw") == 1 and kinds.count("str") == 2


@pytest.mark.parametrize(
    ("source", "package"),
    [
        ('package aigate.lib["util"]\n', "aigate.lib.util"),
        ("package aigate. lib.util\n", "aigate.lib.util"),
        ("package aigate\n  .lib\n", "aigate"),
        ("# package main\npackage aigate.x\n", "aigate.x"),
        ("package x\np := `\npackage main\n`\n", "x"),
    ],
)
def test_package_is_read_from_the_parsed_statement(source: str, package: str) -> None:
    assert package_of(source, "p.rego") == package


def test_a_decoy_package_in_a_raw_string_is_not_a_package() -> None:
    with pytest.raises(InputError, match="no 'package' declaration"):
        package_of("p := `\npackage main\n`\npackage aigate.lib\n", "p.rego")


# -- the real CLI -------------------------------------------------------------------------
def _project(tmp_path: Path, policy: str) -> Path:
    project = tmp_path / "proj"
    shutil.copytree(EXAMPLES / "fraud-detector", project)
    (project / "policy").mkdir()
    (project / "policy" / "k8s.rego").write_text(policy)
    (project / "deploy.json").write_text(json.dumps(DEPLOYMENT))
    return project


def _check(project: Path, *extra: str):
    return aigate(
        "check",
        "--dry-run",
        "--fast",
        "-C",
        str(project),
        "--policy",
        str(project / "policy"),
        "--data",
        str(project / "policy-data.yaml"),
        "--input",
        str(project / "deploy.json"),
        *extra,
        cwd=project,
    )


def test_cli_refuses_the_latest_idiom_on_regopy(tmp_path: Path) -> None:
    project = _project(tmp_path, _policy(MISEVALUATED[0][1]))
    run = _check(project, "--engine", "regopy")
    assert run.returncode == 2, run
    col = _policy(MISEVALUATED[0][1]).splitlines()[5].index("[i]") + 2
    assert (
        f"policy/k8s.rego:6:{col}: `i` is first bound by a ref index inside a call argument" in run.stderr
    ), run
    assert "Traceback" not in run.stderr


def test_cli_rewrite_denies_on_regopy(tmp_path: Path) -> None:
    project = _project(tmp_path, _policy(REWRITES[0]))
    run = _check(project, "--engine", "regopy")
    assert run.returncode == 1 and "FAIL - " in run.stdout and "latest tag" in run.stdout, run


@pytest.mark.parametrize(
    "declaration",
    [
        'package aigate.lib["util"]',
        "package aigate. lib.util",
        "package aigate",
        "package aigate.controls.env",
    ],
)
def test_cli_user_policy_in_reserved_package_is_exit_2(tmp_path: Path, declaration: str) -> None:
    project = _project(tmp_path, _policy(REWRITES[0]))
    (project / "policy" / "evil.rego").write_text(
        f"# package main\nx := `\npackage main\n`\n{declaration}\nimport rego.v1\nobj(x) := {{}}\n"
        if False
        else f'{declaration}\nimport rego.v1\n\nobj(x) := {{}}\ndeny contains "x" if true\n'
    )
    run = _check(project)
    assert run.returncode == 2 and "the 'aigate' namespace is reserved" in run.stderr, run
    assert "evil.rego:1:1" in run.stderr, run


def test_cli_latest_idiom_denies_on_opa_go(tmp_path: Path) -> None:
    """On OPA's engine the same policy is not refused: OPA evaluates it, and it denies."""
    from aigate.policy.testing import opa_go_available

    if not opa_go_available():
        pytest.skip("OPA Go engine wheel not installed")
    project = _project(tmp_path, _policy(MISEVALUATED[0][1]))
    run = _check(project, "--engine", "opa-go")
    assert run.returncode == 1 and "latest tag" in run.stdout, run


# -- infix operators, `in` and collection literals ------------------------------------------
# regopy rewrites these into calls and then mis-evaluates a fresh index variable in them, as in
# call arguments: nothing (a silent pass) or "Invalid bracket argument" (conftest's data example:
# `input.spec.ports[p].port == services.ports[_]`, exit 3 before this check). Each row is shown
# to differ between regopy and OPA (the reference) before it is shown refused.
OPERAND_INPUT = {"n": [1, 2], "m": [2, 3], "o": {"a": 1}, "ports": [{"port": 22}]}
OPERAND_DATA = {"services": {"ports": [22]}}
OPERAND_ATTACKS = [
    ("both-sides", "some i, j; input.n[i] == input.m[j]", "i"),
    ("both-sides-ne", "some i, j; input.m[i] > input.n[j]", "i"),
    ("both-under", "input.n[_] == input.m[_]", "_"),
    ("bound-vs-fresh", "some x; input.ports[x].port; input.ports[x].port == services.ports[_]", "_"),
    ("in", "some i; input.n[i] in {1}", "i"),
    ("in-under", "input.n[_] in {2}", "_"),
    ("in-object", "some k; input.o[k] in {1}", "k"),
    ("later-operand", "some i; 1 + input.n[i] == 3", "i"),
    ("assign-sum", "some i, j; x := input.n[i] + input.m[j]; x == 5", "j"),
    ("group", "some i, j; (input.n[i] + input.m[j]) == 5", "j"),
    ("array-literal", "some i; [1, input.n[i]] == [1, 2]", "i"),
    ("object-literal", 'some i; {"a": input.n[i]} == {"a": 2}', "i"),
    ("contains-builtin", 'contains(input.a[_], "x")', "_"),
]
OPERAND_ALLOWED = [
    "some i; input.n[i] == 2",
    "some i; 2 == input.n[i]",
    "some i; input.n[i] + 1 == 3",
    "some i; (input.n[i] + 1) == 3",
    "some i; 3 == input.n[i] + 1",
    "input.n[_] == input.m[0]",
    "22 == services.ports[_]",
    "some i; input.n[i] == input.m[i - 1]",
    "some i, j; input.n[i] = input.m[j]",
    "some x in input.n; x in input.m",
    "x := input.n[_]; x == input.m[_]",
]
OPERAND_HEADER = "package t\nimport rego.v1\nimport data.services\n\np if { "


def _both(source: str, doc: object) -> tuple[object, object]:
    from aigate.errors import AigateError
    from aigate.policy.embedded import EmbeddedEngine

    opa = pytest.importorskip("opa_bindings.engine")
    regopy = EmbeddedEngine()
    try:
        regopy.compile([PolicyModule("t.rego", source)], OPERAND_DATA)
        got: object = regopy.query("t.p", doc)
    except AigateError as exc:
        got = f"error: {exc.message[:80]}"
    engine = opa.OpaEngine()
    try:
        engine.add_policy("t.rego", source)
        engine.add_data(OPERAND_DATA)
        rows = engine.eval_query("x = data.t.p", doc)
    except opa.OpaError as exc:
        return got, f"error: {exc.message[-80:]}"
    finally:
        engine.close()
    return got, rows[0]["x"] if rows else None


@pytest.mark.parametrize(("case", "body", "var"), OPERAND_ATTACKS, ids=[c for c, _, _ in OPERAND_ATTACKS])
def test_fresh_index_in_operands_differs_on_regopy_and_is_refused(case: str, body: str, var: str) -> None:
    source = OPERAND_HEADER + body + " }\n"
    doc = {**OPERAND_INPUT, "a": ["x"]}
    regopy, opa = _both(source, doc)
    assert opa is True and regopy != opa, (regopy, opa)  # the attack is real: OPA says true
    with pytest.raises(InputError) as err:
        lint_for_regopy([PolicyModule("t.rego", source)])
    pos = err.value.position
    assert pos is not None and pos.line == 5 and pos.column is not None, err.value.one_line()
    assert source.splitlines()[4][pos.column - 1] == var, err.value.one_line()  # points at the variable
    assert "--engine opa-go" in err.value.one_line()


@pytest.mark.parametrize("body", OPERAND_ALLOWED)
def test_operands_regopy_evaluates_like_opa_are_not_refused(body: str) -> None:
    source = OPERAND_HEADER + body + " }\n"
    lint_for_regopy([PolicyModule("t.rego", source)])
    regopy, opa = _both(source, OPERAND_INPUT)
    assert regopy == opa is True, (regopy, opa)


def test_fresh_variable_in_a_negation_is_refused_as_opa_refuses_it() -> None:
    source = OPERAND_HEADER + "not input.n[_] == 7 }\n"
    regopy, opa = _both(source, OPERAND_INPUT)
    assert regopy is True and "rego_unsafe_var_error" in str(opa)  # regopy evaluates what OPA refuses
    with pytest.raises(InputError, match="negated expression"):
        lint_for_regopy([PolicyModule("t.rego", source)])


@pytest.mark.parametrize("example", ["data", "docker", "hcl2"])
def test_conftest_examples_that_failed_with_invalid_bracket_are_refused_up_front(example: str) -> None:
    """Three conftest examples ended as exit 3 ('Invalid bracket argument') on regopy."""
    from aigate.policy.library import load_dir

    modules, _ = load_dir(Path(__file__).parent / "conftest_cases" / example / "policy", builtin=False)
    with pytest.raises(InputError) as err:
        lint_for_regopy(modules)
    assert err.value.position is not None and err.value.position.column is not None
    assert "regopy" in err.value.message and "--engine opa-go" in err.value.one_line()


def test_the_builtin_library_passes_the_lint() -> None:
    from aigate.policy.library import builtin_set

    b = builtin_set()
    lint_for_regopy([*b.modules, *b.tests], allow_with=True)  # its tests use single-key `with`
