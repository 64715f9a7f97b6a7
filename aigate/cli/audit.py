"""``aigate audit verify --bundles DIR``: verify the decision chain across releases."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli._trust import make_trust, trust_options


@click.group("audit")
def command() -> None:
    """Audit trails: the tamper-evident chain of gate decisions."""


@command.command("verify")
@click.option(
    "--bundles",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory of release bundles (the store).",
)
@trust_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verify_cmd(
    bundles: Path,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
    fmt: str,
) -> None:
    """Verify every bundle and the chain linking them.

    Exit 1 on a gap, a reorder, a replaced bundle or a bad signature.
    """
    from aigate.bundle.chain import verify_chain
    from aigate.errors import VerificationFailure

    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    try:
        report = verify_chain(bundles, trust)
    except VerificationFailure as exc:
        if fmt == "json":
            click.echo(
                json.dumps({"verified": False, "store": str(bundles), "error": exc.one_line()}, indent=2)
            )
        raise
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"chain verified: {len(report.releases)} release(s) in {report.store}")
    for r in report.releases:
        click.echo(f"  {r.evidence_time}  {r.model_name} {r.model_version}  {r.decision}  {r.path}")
