"""Shared flags for commands that verify bundles: who must have signed them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def trust_options(func: F) -> F:
    """``--key``, ``--identity``/``--issuer``, ``--repository``, ``--trusted-root``, ``--unsafe-allow-unsigned``."""
    options = [
        click.option(
            "--key", type=click.Path(path_type=Path, dir_okay=False), help="PEM public key (key-signed)."
        ),
        click.option("--identity", help="Expected keyless signer identity (certificate SAN)."),
        click.option("--issuer", help="Expected OIDC issuer of the keyless signer."),
        click.option("--repository", metavar="OWNER/REPO", help="Expected GitHub repository of the signer."),
        click.option(
            "--trusted-root",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Pinned Sigstore trusted_root.json (default: the production root shipped with sigstore).",
        ),
        click.option(
            "--unsafe-allow-unsigned",
            "allow_unsigned",
            is_flag=True,
            help="Accept unsigned bundles: only internal digests are checked, anyone could have written them. "
            "Logged on every use.",
        ),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def make_trust(
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
) -> Any:
    from aigate.bundle.verify import Trust

    if allow_unsigned:
        click.echo(
            "aigate: warning: --unsafe-allow-unsigned: unsigned bundles are accepted; only their internal "
            "digests are checked",
            err=True,
        )
    return Trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
