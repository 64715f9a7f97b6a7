"""``aigate init``: scaffold a manifest, policy data and CI snippets."""

from __future__ import annotations

from pathlib import Path

import click

from aigate.cli import set_verbose
from aigate.cli._common import project_option, verbosity_options


@click.command("init")
@project_option
@click.option("--name", help="Model/deployment name. [default: the project directory's name]")
@click.option("--version", "model_version", default="0.1.0", show_default=True, help="Model version.")
@click.option("--model", help="Model artifact path. [default: the first model file found in the project]")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@verbosity_options
def command(
    project: Path,
    name: str | None,
    model_version: str,
    model: str | None,
    force: bool,
    quiet: bool,
    verbose: bool,
) -> int:
    """Write aigate.yaml, .aigate/policy-data.yaml and CI snippets under .aigate/ci/."""
    set_verbose(verbose)
    from aigate import scaffold
    from aigate.errors import InputError

    root = project.resolve()
    if not root.is_dir():
        raise InputError(f"project directory {project} does not exist")
    files = scaffold.plan(root, name=name, version=model_version, model=model)
    scaffold.validate_plan(files)
    written = scaffold.write(root, files, force=force)
    if not quiet:
        for path in written:
            click.echo(f"wrote {path}")
        click.echo(
            "next: edit aigate.yaml, move .aigate/policy-data.yaml to a repository your organisation "
            "controls, then run: aigate check --dry-run"
        )
    return 0
