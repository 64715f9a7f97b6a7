"""``aigate rollback --bundles DIR``: name the newest earlier release that verifies and passed."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

import click

from aigate.cli._registry import client_options, local_store, registry_options, shown_path
from aigate.cli._trust import make_trust, trust_options


@click.command("rollback")
@click.option(
    "--bundles",
    required=True,
    help="The store: a directory of release bundles, or oci://REGISTRY/REPOSITORY.",
)
@click.option(
    "--current", metavar="VERSION", help="The version to roll back from (default: the newest bundle)."
)
@registry_options
@trust_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    bundles: str,
    current: str | None,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
    plain_http: bool,
    registry_ca: str | None,
    max_pull_bytes: int,
    fmt: str,
) -> None:
    """Name the rollback target: version, artifact digests and bundle path (exit 1 when there is none)."""
    from aigate.bundle.chain import rollback_target
    from aigate.errors import VerificationFailure

    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    with contextlib.ExitStack() as stack:
        store = local_store(bundles, stack, client_options(plain_http, registry_ca, max_pull_bytes))
        assert store is not None
        try:
            target = rollback_target(Path(store), trust, current=current)
        except VerificationFailure as exc:
            if fmt == "json":
                click.echo(json.dumps({"target": None, "store": bundles, "error": exc.one_line()}, indent=2))
            raise
    target = dataclasses.replace(
        target,
        path=shown_path(target.path, bundles),
        skipped=tuple({**s, "path": shown_path(s["path"], bundles)} for s in target.skipped),
    )
    if fmt == "json":
        click.echo(json.dumps(target.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"rollback target: {target.model} {target.version} (from {target.current})")
    click.echo(f"  bundle: {target.path} ({target.index_digest})")
    for a in target.artifacts:
        click.echo(f"  artifact {a['path']}  sha256:{a['sha256']}")
    for s in target.skipped:
        click.echo(f"  skipped {s['path']}: {s['reason']}")
