"""GitHub Actions workflow commands: annotations on the run and on the pull request's files.

Blocking denials are ``::error``, warnings and advisory denials ``::warning``, waivers and policy
exceptions ``::notice``; each points at the manifest line (or the user-policy input file) of the
finding. Maturity and passes go into ``::group::`` blocks so the log stays short. The last line is
the verdict. Blocking denials come first: GitHub shows only the first few annotations of each kind
per step (the job summary has them all).

Escaping follows the runner's rules: in the message ``%``, CR and LF become ``%25``, ``%0D``,
``%0A``; in a property also ``:`` and ``,`` (``%3A``, ``%2C``). Plain lines are collapsed to one
line and never begin with ``::``, so text from a policy or manifest cannot inject a command.
"""

from __future__ import annotations

from aigate.findings import Basis, Finding, Severity
from aigate.report._common import (
    STREAM_NAMES,
    by_control,
    by_user_rule,
    finding_references,
    one_line,
    place,
    references_text,
    rule_id,
    status,
    waiver_text,
)
from aigate.report.interface import ReportContext


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """One workflow command line: ``::name k=v,k=v::message`` (``None`` properties are left out)."""
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None]
    head = f"::{name} {','.join(parts)}" if parts else f"::{name}"
    return f"{head}::{escape_data(message)}"


def _plain(text: str) -> str:
    """A log line that is text, not a command, whatever the text holds."""
    line = one_line(text)
    return f"  {line}" if line.lstrip().startswith("::") else line


def _annotation(f: Finding, ctx: ReportContext) -> str:
    if f.severity is Severity.DENY:
        kind = "error" if f.blocking else "warning"
        tag = "blocking" if f.blocking else "advisory, does not block"
    elif f.severity is Severity.WARN:
        kind = "error" if ctx.decision.fail_on_warn else "warning"
        tag = "warning, blocks with --fail-on-warn" if ctx.decision.fail_on_warn else "warning"
    else:
        kind = "notice"
        tag = f.severity.value
    if f.basis is Basis.DECLARED:
        tag += ", declared only"
    p = place(f, ctx)
    msg = one_line(f.message)
    refs = finding_references(f, ctx)
    if refs:
        msg += f" (references: {references_text(refs)})"
    if f.severity is Severity.WAIVED:
        msg += f" (waiver: {waiver_text(f.waiver)})"
    return command(
        kind,
        msg,
        file=p.file,
        line=p.line,
        col=p.column,
        title=f"{rule_id(f)} ({tag})",
    )


def render(ctx: ReportContext) -> str:
    d = ctx.decision
    s = d.summary
    lines = [f"::group::aigate {d.verdict}: maturity and controls"]
    for m in d.maturity:
        state = "meets" if m.meets else "below"
        held = f"; next level held back by {', '.join(m.failing)}" if m.failing else ""
        lines.append(
            _plain(
                f"stream {m.stream} ({STREAM_NAMES.get(m.stream, m.stream)}): "
                f"L{m.level} reached, L{m.required} required, {state}{held}"
            )
        )
    for _c, cid, fs in by_control(ctx):
        lines.append(_plain(f"{cid}: {status(fs, fail_on_warn=d.fail_on_warn)}"))
    for ns, rule, fs in by_user_rule(ctx):
        lines.append(_plain(f"user {ns}/{rule}: {status(fs, fail_on_warn=d.fail_on_warn)}"))
    lines.append("::endgroup::")
    passes = [f for f in d.findings if f.severity is Severity.PASS]
    if passes:
        lines.append(f"::group::aigate passed checks ({len(passes)})")
        for f in passes:
            basis = " [declared only]" if f.basis is Basis.DECLARED else ""
            lines.append(_plain(f"{rule_id(f)}{basis}: {f.message}"))
        lines.append("::endgroup::")
    order = {Severity.DENY: 0, Severity.WARN: 1, Severity.WAIVED: 2, Severity.EXCEPTION: 3}
    reported = sorted(
        (f for f in d.findings if f.severity in order),
        key=lambda f: (order[f.severity], not f.blocking),
    )
    lines += [_annotation(f, ctx) for f in reported]
    for note in ctx.notes:
        lines.append(command("notice", note, title="aigate note"))
    summary = (
        f"{s.failures} blocking, {s.warnings} warning{'s' * (s.warnings != 1)}, "
        f"{s.advisories} advisory, {s.waived} waived, "
        f"{s.exceptions} exception{'s' * (s.exceptions != 1)}, {s.passed} passed ({s.declared} declared only)"
    )
    if ctx.bundle is not None:
        summary += f"; bundle {ctx.bundle.path} ({ctx.bundle.digest})"
    lines.append(command("notice" if d.passed else "error", summary, title=f"aigate decision: {d.verdict}"))
    return "\n".join(lines) + "\n"
