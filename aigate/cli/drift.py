"""``aigate drift``: a drift report between a reference and a current dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from aigate.cli import set_verbose
from aigate.cli._common import verbosity_options, write_atomic

METHOD_NAMES = ["auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi", "kl_div"]


def _config(
    data_files: tuple[str, ...],
    method: str,
    threshold: float | None,
    share: float | None,
    columns: tuple[str, ...],
    sample_cap: int | None,
    version: str | None,
) -> Any:
    """Flags over policy data (``drift:``) over Evidently's defaults."""
    from aigate.ops.drift import SAMPLE_CAP, SHARE, ColumnPlan, DriftConfig
    from aigate.policydata import load_policy_data

    conf: dict[str, Any] = load_policy_data(list(data_files)).data.get("drift") or {} if data_files else {}
    per_column = {
        str(name): ColumnPlan(c.get("method"), c.get("threshold"), bool(c.get("categorical", False)))
        for name, c in (conf.get("columns") or {}).items()
    }
    chosen = None if method == "auto" else method
    chosen = chosen or conf.get("method")
    if threshold is None and chosen is not None:
        threshold = (conf.get("thresholds") or {}).get(chosen)
    return DriftConfig(
        method=chosen,
        threshold=threshold,
        share=share if share is not None else float(conf.get("share", SHARE)),
        columns=columns,
        per_column=per_column,
        sample_cap=sample_cap or int(conf.get("sample_cap", SAMPLE_CAP)),
        version=version,
    )


@click.command("drift")
@click.option(
    "--reference",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Reference dataset: CSV (gzip too) or Parquet (e.g. training data).",
)
@click.option(
    "--current",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Current dataset: CSV (gzip too) or Parquet (e.g. recent production inputs).",
)
@click.option(
    "--method",
    type=click.Choice(METHOD_NAMES),
    default="auto",
    show_default=True,
    help="Drift test for every column; auto = Evidently's default per column.",
)
@click.option(
    "--threshold",
    type=float,
    help="Threshold for --method (p-value: drift below; distance: drift at or above).",
)
@click.option("--share", type=float, help="Dataset drift when this share of columns drifts. [default: 0.5]")
@click.option(
    "--columns",
    "columns",
    multiple=True,
    help="Column to compare (repeatable). [default: every column; both files must have the same]",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    help="Policy data with a drift: section (per-column methods, thresholds).",
)
@click.option(
    "--sample-cap",
    type=click.IntRange(min=1000),
    help="Rows per dataset above which a seeded sample is taken. [default: 200000]",
)
@click.option("--model-version", help="The model version the report is for (checked by the DRIFT control).")
@click.option(
    "--notify",
    "notify",
    multiple=True,
    help="Webhook URL to post a summary to when drift is found (repeatable).",
)
@click.option("--notify-strict", is_flag=True, help="A failed notification is an error (exit 3).")
@click.option(
    "--notify-timeout",
    type=click.FloatRange(min=0.1, max=60),
    default=5.0,
    show_default=True,
    help="Seconds per notification attempt (3 attempts).",
)
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
    threshold: float | None,
    share: float | None,
    columns: tuple[str, ...],
    data_files: tuple[str, ...],
    sample_cap: int | None,
    model_version: str | None,
    notify: tuple[str, ...],
    notify_strict: bool,
    notify_timeout: float,
    output: Path | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Per-column and dataset drift (Evidently's tests). Exit 0 no drift, 1 drift, 2 bad input."""
    set_verbose(verbose)
    from aigate.ops.drift import drift_report

    if notify:
        from aigate.ops.notify import check_urls

        check_urls(list(notify))
    cfg = _config(data_files, method, threshold, share, columns, sample_cap, model_version)
    report = drift_report(reference, current, cfg)
    text = json.dumps(report, indent=2, sort_keys=True, allow_nan=False, default=_finite_or_str) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        if not quiet:
            drifted = ", ".join(report["drifted"]) or "none"
            verdict = "drifted" if report["dataset"]["drifted"] else "not drifted"
            click.echo(f"{len(report['features'])} columns, drifted: {drifted}; dataset {verdict}", err=True)
    drift = bool(report["drifted"]) or report["dataset"]["drifted"]
    if drift and notify:
        from aigate.ops.notify import notify_all

        notify_all(list(notify), drift_summary(report), strict=notify_strict, timeout=notify_timeout)
    return 1 if drift else 0


def _finite_or_str(value: object) -> object:
    return str(value)


def drift_summary(report: dict[str, Any]) -> dict[str, Any]:
    lines = [
        f"{n}: {r['method']} {r['score']:.4g} (threshold {r['threshold']})"
        for n, r in sorted(report["features"].items())
        if r["drifted"]
    ]
    return {
        "title": f"aigate drift: {len(lines)} of {report['dataset']['columns']} columns drifted",
        "lines": lines,
    }
