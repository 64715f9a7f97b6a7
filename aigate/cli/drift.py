"""``aigate drift``: a drift report between a reference and a current dataset."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli import set_verbose
from aigate.cli._common import verbosity_options, write_atomic


@click.command("drift")
@click.option(
    "--reference",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Reference CSV (e.g. training data).",
)
@click.option(
    "--current",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Current CSV (e.g. recent production inputs).",
)
@click.option("--method", type=click.Choice(["psi", "ks"]), default="psi", show_default=True)
@click.option(
    "--threshold",
    type=float,
    default=0.2,
    show_default=True,
    help="A feature drifts when its score exceeds this.",
)
@click.option(
    "--feature",
    "features",
    multiple=True,
    help="Feature to compare (repeatable). [default: every common column]",
)
@click.option("--model-version", help="The model version the report is for (checked by the DRIFT control).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON report here (default: stdout).",
)
@verbosity_options
def command(
    reference: Path,
    current: Path,
    method: str,
    threshold: float,
    features: tuple[str, ...],
    model_version: str | None,
    output: Path | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Compute per-feature drift (PSI or KS). Exit 0 no feature drifted, 1 some did, 2 bad input."""
    set_verbose(verbose)
    from aigate.drift import drift_report

    report = drift_report(
        reference,
        current,
        method=method,
        threshold=threshold,
        features=list(features) or None,
        version=model_version,
    )
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        if not quiet:
            drifted = ", ".join(report["drifted"]) or "none"
            click.echo(f"{len(report['features'])} features, drifted: {drifted}", err=True)
    return 1 if report["drifted"] else 0
