"""``aigate verify BUNDLE``: verify an evidence bundle offline (exit 0 verified, 1 not)."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from aigate.cli._registry import client_options, registry_options
from aigate.cli._trust import make_trust, trust_options


@click.command("verify")
@click.argument("bundle", required=False)
@click.option(
    "--image",
    help="Find aigate evidence among the referrers of this image (REGISTRY/REPO@sha256:...) and verify it.",
)
@click.option(
    "--all",
    "all_referrers",
    is_flag=True,
    help="With --image: verify every evidence artifact, not only the newest.",
)
@registry_options
@trust_options
@click.option(
    "--artifacts",
    "artifacts_dir",
    type=click.Path(path_type=Path),
    help="Model directory, project root or model file: re-hash the artifacts and check model.sig.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    bundle: str | None,
    image: str | None,
    all_referrers: bool,
    plain_http: bool,
    registry_ca: str | None,
    max_pull_bytes: int,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
    allow_unsigned: bool,
    artifacts_dir: Path | None,
    fmt: str,
) -> None:
    """Verify an evidence bundle (directory, .tar.gz, or oci://REGISTRY/REPO@sha256:...) offline.

    Recomputes every digest in index.json, rejects changed, missing and extra files, verifies
    the statement signature (--key, or --identity/--issuer, or --repository) and, with
    --artifacts, the model files and model.sig. From a registry the bundle is pulled (digests
    checked) and verified the same way; --image finds it among the image's referrers.
    Exit 0 verified, 1 not verified, 2 bad input, 3 registry error.
    """
    from aigate.errors import UsageError, VerificationFailure

    if (bundle is None) == (image is None):
        raise UsageError("give a BUNDLE (path or oci://...) or --image REGISTRY/REPO@sha256:..., not both")
    trust = make_trust(key, identity, issuer, repository, trusted_root, allow_unsigned)
    with tempfile.TemporaryDirectory(prefix="aigate-pull-") as tmp:
        for path, shown in _targets(
            bundle, image, all_referrers, client_options(plain_http, registry_ca, max_pull_bytes), Path(tmp)
        ):
            try:
                result = trust.verify(path, artifacts_dir=artifacts_dir)
            except VerificationFailure as exc:
                if fmt == "json":  # machine readers get the verdict on stdout too; the exit code stays 1
                    click.echo(
                        json.dumps({"verified": False, "path": shown, "error": exc.one_line()}, indent=2)
                    )
                raise
            _show(result, shown, fmt)


def _targets(
    bundle: str | None, image: str | None, all_referrers: bool, options: Any, tmp: Path
) -> Iterator[tuple[Path, str]]:
    """(local path to verify, what to call it) for a path, an oci:// reference or an image's referrers."""
    from aigate.errors import VerificationFailure
    from aigate.oci.reference import is_oci, parse

    if bundle is not None and not is_oci(bundle):
        yield Path(bundle), bundle
        return
    if bundle is not None:
        from aigate.oci.evidence import pull_bundle

        ref = parse(bundle, what="bundle reference")
        yield pull_bundle(ref, tmp, options), f"oci://{ref}"
        return
    from aigate.oci.evidence import evidence_referrers, pull_bundle

    assert image is not None
    found = evidence_referrers(parse(image, what="--image"), options)
    if not found:
        raise VerificationFailure(f"no aigate evidence refers to {image}")
    for ref in found if all_referrers else found[:1]:
        yield pull_bundle(ref, tmp, options), f"oci://{ref}"


def _show(result: Any, shown: str, fmt: str) -> None:
    if shown != result.path:
        result = dataclasses.replace(result, path=shown)
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
