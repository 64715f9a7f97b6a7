"""Options shared by commands, and safe output writing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from aigate.atomic import write_atomic
from aigate.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

ALL_FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "gitlab")


def project_option(f: F) -> F:
    return click.option(
        "-C",
        "--project",
        "project",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Project root (where aigate.yaml lives).",
    )(f)


def verbosity_options(f: F) -> F:
    f = click.option("-q", "--quiet", is_flag=True, help="Print only errors and the verdict line.")(f)
    f = click.option("-v", "--verbose", is_flag=True, help="Show timings and tracebacks for errors.")(f)
    return f


def output_options(formats: tuple[str, ...] = ALL_FORMATS) -> Callable[[F], F]:
    def deco(f: F) -> F:
        f = click.option(
            "--format",
            "formats",
            multiple=True,
            help=f"Output format, repeatable: {', '.join(formats)}. Paired in order with --output; "
            "a format without an --output goes to stdout. [default: text]",
        )(f)
        f = click.option(
            "--output",
            "outputs",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="File for the format at the same position (repeatable).",
        )(f)
        return f

    return deco


def pair_outputs(
    formats: tuple[str, ...], outputs: tuple[Path, ...], allowed: tuple[str, ...] = ALL_FORMATS
) -> list[tuple[str, Path | None]]:
    """Pair ``--format`` and ``--output`` in order; at most one format may go to stdout."""
    fmts = list(formats) or ["text"]
    for fmt in fmts:
        if fmt not in allowed:
            raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(allowed)}")
    if len(outputs) > len(fmts):
        raise UsageError(f"{len(outputs)} --output files for {len(fmts)} --format values")
    pairs: list[tuple[str, Path | None]] = [
        (fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(fmts)
    ]
    if sum(1 for _, out in pairs if out is None) > 1:
        raise UsageError("only one --format may go to stdout; give the others an --output FILE")
    return pairs


__all__ = ["pair_outputs", "write_atomic"]
