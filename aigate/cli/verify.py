"""``aigate verify BUNDLE``: verify an evidence bundle offline (exit 0 verified, 1 not)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli._trust import make_trust, trust_options


@click.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@trust_options
@click.option(
    "--artifacts",
    "artifacts_dir",
    type=click.Path(path_type=Path),
    help="Model directory, project root or model file: re-hash the artifacts and check model.sig.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    bundle: Path,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
    artifacts_dir: Path | None,
    fmt: str,
) -> None:
    """Verify an evidence bundle (directory or .tar.gz) offline.

    Recomputes every digest in index.json, rejects changed, missing and extra files, verifies
    the statement signature (--key, or --identity/--issuer, or --repository) and, with
    --artifacts, the model files and model.sig. Exit 0 verified, 1 not verified, 2 bad input.
    """
    from aigate.errors import VerificationFailure

    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    try:
        result = trust.verify(bundle, artifacts_dir=artifacts_dir)
    except VerificationFailure as exc:
        if fmt == "json":  # machine readers get the verdict on stdout too; the exit code stays 1
            click.echo(
                json.dumps({"verified": False, "path": str(bundle), "error": exc.one_line()}, indent=2)
            )
        raise
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"verified: {result.path} ({result.index_digest})")
    click.echo(f"  model {result.model_name} {result.model_version}: decision {result.decision}")
    click.echo(f"  evidence time {result.evidence_time}; {result.files} files")
    click.echo(f"  signature ({result.signing}): {result.signer or 'none'}")
    if result.model_signature_checked:
        click.echo(f"  model.sig: verified over {len(result.artifacts)} artifact(s)")
    if result.artifacts_checked:
        click.echo("  artifacts: re-hashed and match")
    for note in result.notes:
        click.echo(f"  note: {note}")
