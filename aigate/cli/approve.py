"""``aigate approve``: record a signed sign-off in git for a role.

Thin: parse flags, load the manifest (and, with ``--data``, the policy data to check the role
name), call :func:`aigate.signoff.create_approval`, print a short result. Failures are
``AigateError`` subclasses, mapped to exit codes by the CLI root.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("approve")
@click.option("--role", required=True, help="The approver role this sign-off is for (from policy data).")
@click.option("--comment", default="", help="Free text recorded in the signed approval.")
@click.option(
    "-C",
    "project_dir",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project root (default: the current directory).",
)
@click.option("--manifest", "manifest_file", default=None, help="Manifest file (default: aigate.yaml).")
@click.option(
    "--data",
    "data_files",
    multiple=True,
    help="Policy data file(s); when given, the role must be defined in their approvers list.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    role: str,
    comment: str,
    project_dir: Path,
    manifest_file: str | None,
    data_files: tuple[str, ...],
    fmt: str,
) -> None:
    """Record a signed approval of the current release (model, manifest and HEAD commit).

    The approval is a signed tag under refs/tags/aigate/approvals/, made with your usual git
    signing set-up (user.signingkey, gpg.format ssh|openpgp). Push it so CI can see it.
    """
    from aigate.manifest import load_manifest
    from aigate.signoff import create_approval

    root = project_dir.resolve()
    manifest = load_manifest(root, manifest_file)
    approvals = None
    if data_files:
        from aigate.policydata import load_policy_data

        approvals = load_policy_data(list(data_files)).data.get("approvals")
    created = create_approval(
        root,
        manifest.data,
        manifest.raw,
        manifest.path,
        role,
        comment=comment,
        approvals_config=approvals,
    )
    if fmt == "json":
        click.echo(json.dumps(created.to_dict(), indent=2, sort_keys=True))
        return
    p = created.payload
    click.echo(
        f"approved {p.model} {p.version} as {p.role} at commit {p.commit[:12]} "
        f"({created.signature_format} signature)"
    )
    click.echo(f"  model    {p.model_digest}")
    click.echo(f"  manifest {p.manifest_digest}")
    click.echo(f"  tag      {created.tag}")
    click.echo(f"push it:   {created.push_command()}")
    if not data_files:
        click.echo("note: the role was not checked against policy data (pass --data FILE)", err=True)
