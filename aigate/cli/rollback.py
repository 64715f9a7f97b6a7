"""``aigate rollback --bundles DIR``: name the newest earlier release that verifies and passed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli._trust import make_trust, trust_options


@click.command("rollback")
@click.option(
    "--bundles",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory of release bundles (the store).",
)
@click.option(
    "--current", metavar="VERSION", help="The version to roll back from (default: the newest bundle)."
)
@trust_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    bundles: Path,
    current: str | None,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
    fmt: str,
) -> None:
    """Name the rollback target: version, artifact digests and bundle path (exit 1 when there is none)."""
    from aigate.bundle.chain import rollback_target
    from aigate.errors import VerificationFailure

    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    try:
        target = rollback_target(bundles, trust, current=current)
    except VerificationFailure as exc:
        if fmt == "json":
            click.echo(json.dumps({"target": None, "store": str(bundles), "error": exc.one_line()}, indent=2))
        raise
    if fmt == "json":
        click.echo(json.dumps(target.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"rollback target: {target.model} {target.version} (from {target.current})")
    click.echo(f"  bundle: {target.path} ({target.index_digest})")
    for a in target.artifacts:
        click.echo(f"  artifact {a['path']}  sha256:{a['sha256']}")
    for s in target.skipped:
        click.echo(f"  skipped {s['path']}: {s['reason']}")
