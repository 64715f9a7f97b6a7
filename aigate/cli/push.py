"""``aigate push BUNDLE oci://REGISTRY/REPOSITORY[:TAG]``: store evidence as a referrer of the image."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli._registry import client_options, registry_options


@click.command("push")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.argument("destination")
@click.option(
    "--subject",
    help="Digest (sha256:...) of the image the evidence is about; default: the manifest's pinned serving image.",
)
@registry_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    bundle: Path,
    destination: str,
    subject: str | None,
    plain_http: bool,
    registry_ca: str | None,
    max_pull_bytes: int,
    fmt: str,
) -> None:
    """Push an evidence bundle (directory or .tar.gz) to an OCI registry as an aigate artifact.

    The bundle's reproducible tarball is a layer, with the decision and the Sigstore bundle beside
    it; the artifact's subject is the release's image, so `aigate verify --image` finds it among
    the image's referrers. Credentials: AIGATE_REGISTRY_USERNAME/AIGATE_REGISTRY_PASSWORD or the
    Docker config file. Exit 0 pushed, 2 bad input, 3 registry error.
    """
    from aigate.errors import UsageError
    from aigate.oci.evidence import push_bundle
    from aigate.oci.reference import parse

    if subject is not None and not subject.startswith("sha256:"):
        raise UsageError(f"--subject must be a digest sha256:<64 hex>, got {subject!r}")
    target = parse(destination, what="destination")
    if target.digest:
        raise UsageError("the destination names a repository (and optionally a tag), not a digest")
    pushed = push_bundle(bundle, target, subject=subject, options=client_options(plain_http, registry_ca))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "reference": f"oci://{pushed.reference}",
                    "subject": pushed.subject,
                    "bundle_digest": pushed.bundle_digest,
                    "referrers_api": pushed.referrers_api,
                },
                indent=2,
                sort_keys=True,
            )
        )
        return
    click.echo(f"pushed: oci://{pushed.reference}")
    if pushed.subject:
        how = "referrers API" if pushed.referrers_api else "referrers tag (the registry has no referrers API)"
        click.echo(f"  refers to {pushed.subject} ({how})")
    else:
        click.echo("  no subject: the manifest pins no serving image digest and --subject was not given")
