"""``aigate policy test``: run Rego unit tests of the built-in library and user policies."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli import set_verbose
from aigate.cli._common import output_options, pair_outputs, verbosity_options, write_atomic
from aigate.policy.testing import TestResult


@click.group("policy")
def command() -> None:
    """Policy tools."""


@command.command("test")
@click.option("--policy", "policy_dirs", multiple=True, help="User policy directory (repeatable).")
@click.option(
    "--data", "data_files", multiple=True, help="Policy data file, merged over the defaults (repeatable)."
)
@click.option("--no-builtin", is_flag=True, help="Run only the user policies' tests.")
@click.option("--run", "pattern", help="Only tests whose package.name contains this text.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "opa-go", "regopy"]),
    default="auto",
    show_default=True,
    help="auto: OPA's Go engine when installed (full `with` semantics), else regopy.",
)
@click.option(
    "--rego-version",
    type=click.Choice(["v0", "v1"]),
    default="v1",
    show_default=True,
    help="Rego syntax version; v0 is refused (neither embedded engine parses it as v0).",
)
@output_options(("text", "json"))
@verbosity_options
def test_command(
    policy_dirs: tuple[str, ...],
    data_files: tuple[str, ...],
    no_builtin: bool,
    pattern: str | None,
    engine: str,
    rego_version: str,
    formats: tuple[str, ...],
    outputs: tuple[Path, ...],
    quiet: bool,
    verbose: bool,
) -> int:
    """Run every `test_` rule; exit 1 when any is false or undefined, 2 when there are none."""
    set_verbose(verbose)
    from aigate.errors import InputError
    from aigate.policy.library import builtin_set, user_set
    from aigate.policy.testing import choose_engine, print_notice, run_tests
    from aigate.policydata import load_policy_data

    pairs = pair_outputs(formats, outputs, ("text", "json"))
    chosen = choose_engine(engine, rego_version)
    modules, tests = [], []
    if not no_builtin:
        b = builtin_set()
        modules += list(b.modules)
        tests += list(b.tests)
    if policy_dirs:
        u = user_set(policy_dirs)
        modules += list(u.modules)
        tests += list(u.tests)
    if not tests:
        raise InputError("no Rego test files (*_test.rego) found", hint="an empty test set is not a pass")
    data = {"aigate": {"config": load_policy_data(data_files).data}}
    results = run_tests(modules, tests, data, chosen)
    if pattern:
        results = [r for r in results if pattern in f"{r.package}.{r.name}"]
    if not results:
        raise InputError("no test_ rules matched", hint="an empty test set is not a pass")
    failed = [r for r in results if not r.passed]
    notice = print_notice([m for m in modules + tests if not m.builtin], chosen)
    for fmt, out in pairs:
        text = (
            _render_json(results, failed, chosen, notice)
            if fmt == "json"
            else _render_text(results, quiet, verbose, notice)
        )
        if out is None:
            click.echo(text, nl=False)
        else:
            write_atomic(out, text)
    return 1 if failed else 0


def _render_json(
    results: list[TestResult], failed: list[TestResult], engine: str, notice: str | None = None
) -> str:
    summary = {"tests": len(results), "passed": len(results) - len(failed), "failures": len(failed)}
    doc = {"engine": engine, "tests": [r.__dict__ for r in results], "summary": summary}
    if notice:
        doc["notes"] = [notice]
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _render_text(results: list[TestResult], quiet: bool, verbose: bool, notice: str | None = None) -> str:
    """conftest verify's standard output: one FAIL line per failed test, then the summary line.

    A test's ``print()`` output follows its line, as ``opa test`` shows it: for failed tests,
    and for every test with ``--verbose``.
    """
    lines = [f"NOTE - {notice}"] if notice else []
    for r in results:
        if r.passed and (quiet or not verbose):
            continue
        tag = "PASS" if r.passed else "FAIL"
        why = f" ({r.error})" if r.error and not r.passed else ""
        lines.append(f"{tag} - {r.file}:{r.line} - data.{r.package}.{r.name}{why}")
        lines.extend(f"PRNT   {text}" for text in r.output)
    failures = sum(1 for r in results if not r.passed)
    lines.append("")
    lines.append(
        f"{_plural(len(results), 'test')}, {len(results) - failures} passed, 0 warnings, "
        f"{_plural(failures, 'failure')}, 0 exceptions"
    )
    return "\n".join(lines) + "\n"
