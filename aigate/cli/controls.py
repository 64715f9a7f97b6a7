"""``aigate controls``: the control catalog, from the built-in library's ``# METADATA``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigate.cli import set_verbose
from aigate.cli._common import output_options, pair_outputs, verbosity_options, write_atomic

REF_NAMES = {"eu_ai_act": "EU AI Act", "nist_ai_rmf": "NIST AI RMF", "iso_42001": "ISO/IEC 42001"}


@click.command("controls")
@output_options(("text", "json", "markdown"))
@verbosity_options
def command(formats: tuple[str, ...], outputs: tuple[Path, ...], quiet: bool, verbose: bool) -> int:
    """List every control with its level, stream, title and regulatory references."""
    set_verbose(verbose)
    from aigate.policy.library import control_catalog

    pairs = pair_outputs(formats, outputs, ("text", "json", "markdown"))
    catalog = control_catalog()
    for fmt, out in pairs:
        if fmt == "json":
            text = json.dumps({"controls": [c.to_dict() for c in catalog]}, indent=2, sort_keys=True) + "\n"
        elif fmt == "markdown":
            rows = ["| id | level | stream | control | references |", "|---|---|---|---|---|"]
            for c in catalog:
                refs = "; ".join(
                    f"{REF_NAMES.get(k, k)}: {', '.join(v)}" for k, v in sorted(c.references.items())
                )
                rows.append(f"| {c.id} | {c.level or '—'} | {c.stream or '—'} | {c.title} | {refs} |")
            text = "\n".join(rows) + "\n"
        else:
            lines = []
            for c in catalog:
                where = f"L{c.level} {c.stream}" if c.level else "extension"
                lines.append(f"{c.id:<11} {where:<10} {c.title}")
                for key, values in sorted(c.references.items()):
                    lines.append(f"{'':<22}{REF_NAMES.get(key, key)}: {', '.join(values)}")
            text = "\n".join(lines) + "\n"
        if out is None:
            click.echo(text, nl=False)
        else:
            write_atomic(out, text)
    return 0
