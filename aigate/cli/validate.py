"""``aigate validate``: the manifest (schema, paths) and policy data only — the fastest hook."""

from __future__ import annotations

from pathlib import Path

import click

from aigate.cli import set_verbose
from aigate.cli._common import project_option, verbosity_options


@click.command("validate")
@project_option
@click.option("--manifest", "manifest", help="Manifest file. [default: aigate.yaml in the project]")
@click.option("--data", "data_files", multiple=True, help="Policy data file to validate too (repeatable).")
@verbosity_options
def command(
    project: Path, manifest: str | None, data_files: tuple[str, ...], quiet: bool, verbose: bool
) -> int:
    """Validate the manifest against its schema (and its paths), and any policy data files."""
    set_verbose(verbose)
    from aigate.manifest import load_manifest
    from aigate.policydata import load_policy_data

    m = load_manifest(project.resolve(), manifest)
    load_policy_data(data_files)
    if not quiet:
        click.echo(f"{m.display}: valid ({m.data['model']['name']} {m.data['model']['version']})")
    return 0
