"""``aigate keygen``: make an ECDSA P-256 key pair for ``--sign key:PATH``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("keygen")
@click.argument("private_key", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--public", "public_key", type=click.Path(path_type=Path, dir_okay=False), help="Default: KEY.pub"
)
def command(private_key: Path, public_key: Path | None) -> None:
    """Write PRIVATE_KEY (mode 0600, never overwritten) and its public key."""
    from aigate.sign.key import generate_keypair

    public = public_key or private_key.with_name(private_key.name + ".pub")
    hint = generate_keypair(private_key, public)
    click.echo(f"wrote {private_key} and {public} (key hint {hint})")
