"""``aigate audit verify --bundles DIR``: verify the decision chain across releases."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

import click

from aigate.cli._registry import client_options, local_store, registry_options, shown_path
from aigate.cli._trust import make_trust, trust_options


@click.group("audit")
def command() -> None:
    """Audit trails: the tamper-evident chain of gate decisions."""


@command.command("verify")
@click.option(
    "--bundles",
    required=True,
    help="The store: a directory of release bundles, or oci://REGISTRY/REPOSITORY.",
)
@registry_options
@trust_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verify_cmd(
    bundles: str,
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
    """Verify every bundle and the chain linking them.

    Exit 1 on a gap, a reorder, a replaced bundle or a bad signature.
    """

    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    with contextlib.ExitStack() as stack:
        store = local_store(bundles, stack, client_options(plain_http, registry_ca, max_pull_bytes))
        assert store is not None
        _report(Path(store), bundles, trust, fmt)


def _report(store: Path, bundles: str, trust: object, fmt: str) -> None:
    from aigate.bundle.chain import verify_chain
    from aigate.errors import VerificationFailure

    try:
        report = verify_chain(store, trust)  # type: ignore[arg-type]
    except VerificationFailure as exc:
        if fmt == "json":
            click.echo(
                json.dumps({"verified": False, "store": str(bundles), "error": exc.one_line()}, indent=2)
            )
        raise
    releases = [dataclasses.replace(r, path=shown_path(str(r.path), bundles)) for r in report.releases]
    report = dataclasses.replace(report, releases=tuple(releases), store=bundles)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"chain verified: {len(report.releases)} release(s) in {report.store}")
    for r in report.releases:
        click.echo(f"  {r.evidence_time}  {r.model_name} {r.model_version}  {r.decision}  {r.path}")
