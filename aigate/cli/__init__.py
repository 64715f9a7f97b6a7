"""The ``aigate`` command line.

Commands only parse flags into a config object, call one core function, and print. Subcommands
are imported lazily (``aigate --help`` must stay under 0.3 s), and every ``AigateError`` is
caught once, here, and mapped to its exit code: 0 pass, 1 denied / not verified, 2 input or
usage error, 3 could not finish. An unexpected exception is a bug: exit 3 with one line, the
traceback only with ``--verbose``.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from aigate import __version__

# command name -> "module:attribute" (imported only when the command runs or --help lists it)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("aigate.cli.check:command", "Run the gate: collect evidence, evaluate policies, decide."),
    "verify": ("aigate.cli.verify:command", "Verify an evidence bundle offline."),
    "approve": ("aigate.cli.approve:command", "Record a signed sign-off in git for a role."),
    "controls": ("aigate.cli.controls:command", "List the controls, levels, streams and references."),
    "init": ("aigate.cli.init:command", "Scaffold a manifest, policy data and CI snippets."),
    "policy": ("aigate.cli.policy:command", "Policy tools: run Rego unit tests."),
    "validate": ("aigate.cli.validate:command", "Validate the manifest and policy data only."),
    "drift": ("aigate.cli.drift:command", "Compute a drift report between two datasets."),
    "rollback": ("aigate.cli.rollback:command", "Name the newest earlier release that verifies and passed."),
    "audit": ("aigate.cli.audit:command", "Audit tools: verify the decision chain across releases."),
    "keygen": ("aigate.cli.keygen:command", "Make an ECDSA P-256 key pair for --sign key:PATH."),
    "push": (
        "aigate.cli.push:command",
        "Store an evidence bundle in an OCI registry, referring to the image.",
    ),
}

_state: dict[str, Any] = {"verbose": False}


def set_verbose(value: bool) -> None:
    _state["verbose"] = _state["verbose"] or value


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # list from the table, without importing every command module
        rows = [(name, help_) for name, (_, help_) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


EPILOG = """\b
Exit codes: 0 pass; 1 denied (or warned with --fail-on-warn), or verification failed;
2 usage or input error; 3 the gate could not finish (engine, server, I/O, signing).
"""


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aigate")
def cli() -> None:
    """aigate: a policy-as-code deployment gate for AI/ML models.

    Collects evidence (environment, lockfile, ML-BOM, licenses, artifact digests, model-file safety,
    git sign-offs), evaluates Rego policies for the OWASP AIMA Secure Deployment controls, and writes
    a signed evidence bundle that verifies offline.
    """


def _error(message: str) -> None:
    """Print one error line; it may quote a flag or a file (``--opa-url https://u:p@...``): redacted."""
    from aigate.redact import redact_output

    click.echo(redact_output(f"aigate: error: {message}"), err=True)


def _traceback() -> None:
    import traceback

    from aigate.redact import redact_output

    click.echo(redact_output(traceback.format_exc()), err=True, nl=False)


def _click_line(exc: click.ClickException) -> str:
    """A click usage error on one line, naming the command and where to look for help."""
    text = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError):
        where = ctx.command_path if ctx is not None else "aigate"
        return f"{where}: {text} (see '{where} --help')"
    return text


#: the last second datetime can represent (9999-12-31T23:59:59Z): every later epoch overflows
MAX_EPOCH = 253402300799


def check_environment(environ: dict[str, str] | os._Environ[str]) -> None:
    """Environment values every command may read, checked once so none overflows deep inside."""
    from aigate.errors import InputError

    sde = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if sde and (not sde.isdigit() or len(sde) > 12 or int(sde) > MAX_EPOCH):
        raise InputError(
            f"SOURCE_DATE_EPOCH must be an integer number of seconds from 0 to {MAX_EPOCH}, got {sde[:40]!r}",
            hint="unset it or set it to a commit time",
        )


def main(argv: list[str] | None = None) -> None:
    from aigate.errors import EXIT_FAILED, AigateError

    try:
        check_environment(os.environ)
        code = cli.main(args=argv, prog_name="aigate", standalone_mode=False)
    except AigateError as exc:
        if _state["verbose"]:
            _traceback()
        _error(exc.one_line())
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _error("aborted")
        sys.exit(EXIT_FAILED)
    except click.ClickException as exc:
        _error(_click_line(exc))
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(EXIT_FAILED)
    except BrokenPipeError:
        sys.stderr.close()
        os._exit(EXIT_FAILED)
    except Exception as exc:  # a bug: fail closed with one line, details on request
        if _state["verbose"]:
            _traceback()
        _error(
            f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} (run with --verbose for details)"
        )
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)
