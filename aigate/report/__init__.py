"""Report renderers, registered by format name. Adding a format is one new module plus one line here."""

from __future__ import annotations

import importlib

from aigate.errors import UsageError
from aigate.report.interface import Renderer, ReportContext

# format name -> module under aigate.report exposing ``render(ctx) -> str``
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_",
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "github": "github",
    "gitlab": "gitlab",
}


def renderer(name: str) -> Renderer:
    module = FORMATS.get(name)
    if module is None:
        raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}")
    mod = importlib.import_module(f"aigate.report.{module}")
    render: Renderer = mod.render
    return render


def render(name: str, ctx: ReportContext) -> str:
    """The report in format ``name``, through the one redaction pass every output takes."""
    from aigate.redact import redact_output

    return redact_output(renderer(name)(ctx))
