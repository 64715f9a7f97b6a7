"""``--format text`` (default): conftest-style result lines, the controls, maturity, the summary.

Result lines: ``FAIL - <where> - <namespace or control> - <message>``, ``WARN``, ``EXCP``
(user-policy exception), ``WAIV`` (waived control finding), ``ADVY`` (a deny of a control above
the required level: reported, not blocking). Then a table of the controls, the maturity per
stream, the familiar ``N tests, N passed, N warnings, N failures, N exceptions`` line and the
verdict.
"""

from __future__ import annotations

from aigate.findings import Basis, Finding, Severity
from aigate.report._common import by_control, status
from aigate.report.interface import ReportContext

_TAG = {
    Severity.DENY: "FAIL",
    Severity.WARN: "WARN",
    Severity.EXCEPTION: "EXCP",
    Severity.WAIVED: "WAIV",
}


def _where(f: Finding, ctx: ReportContext) -> str:
    if f.location is not None:
        loc = f.location.file
        if f.location.line is not None:
            loc += f":{f.location.line}"
            if f.location.column is not None:
                loc += f":{f.location.column}"
        return loc
    return f.source or ctx.manifest_path


def _line(f: Finding, ctx: ReportContext) -> str:
    tag = _TAG.get(f.severity, "PASS")
    if f.severity is Severity.DENY and not f.blocking:
        tag = "ADVY"
    if f.control == "USER":
        return f"{tag} - {f.source or _where(f, ctx)} - {f.namespace} - {f.message}"
    basis = " [declared]" if f.basis is Basis.DECLARED else ""
    return f"{tag} - {_where(f, ctx)} - {f.control}/{f.rule} - {f.message}{basis}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def user_summary(findings: tuple[Finding, ...] | list[Finding]) -> str | None:
    """conftest's own count line over the user-policy results alone (its wording and plurals)."""
    user = [f for f in findings if f.control == "USER"]
    if not user:
        return None
    n = {s: sum(1 for f in user if f.severity is s) for s in Severity}
    return (
        f"{_plural(len(user), 'test')}, {n[Severity.PASS]} passed, {_plural(n[Severity.WARN], 'warning')}, "
        f"{_plural(n[Severity.DENY], 'failure')}, {_plural(n[Severity.EXCEPTION], 'exception')}"
    )


def render(ctx: ReportContext) -> str:
    d = ctx.decision
    out: list[str] = [f"PRNT   {line}" for line in d.meta.get("prints", [])]
    order = {Severity.DENY: 0, Severity.WARN: 1, Severity.WAIVED: 2, Severity.EXCEPTION: 3}
    shown = sorted(
        (f for f in d.findings if f.severity is not Severity.PASS),
        key=lambda f: (order.get(f.severity, 9), not f.blocking, f.control, f.rule, f.message),
    )
    out.extend(_line(f, ctx) for f in shown)
    if shown:
        out.append("")

    if ctx.controls:
        out.append("Controls")
        for control, _cid, fs in by_control(ctx):
            if control is None:
                continue
            word = status(fs, fail_on_warn=d.fail_on_warn)
            basis = "declared" if any(f.basis is Basis.DECLARED for f in fs) else "evidence"
            where = f"L{control.level} {control.stream}" if control.level else "ext "
            out.append(f"  {control.id:<11} {where:<5} {word:<16} {basis:<9} {control.title}")
        out.append("")
        out.append("Maturity (OWASP AIMA Secure Deployment)")
        names = {"A": "A (process)", "B": "B (technical)"}
        for m in d.maturity:
            state = "ok" if m.meets else "BELOW REQUIRED"
            held = f"; next level held by {', '.join(m.failing)}" if m.failing else ""
            out.append(
                f"  stream {names.get(m.stream, m.stream):<14} level {m.level} of 3, required {m.required}: {state}{held}"
            )
        out.append("")

    conftest = user_summary(d.findings)
    if conftest:
        out.append(f"user policies: {conftest}")
    s = d.summary
    # the conftest line counts the five conftest categories (waived counts as an exception);
    # advisories are not among them and are reported on the next line
    tests = s.passed + s.warnings + s.failures + s.exceptions + s.waived
    out.append(
        f"{tests} tests, {s.passed} passed, {s.warnings} warnings, {s.failures} failures, "
        f"{s.exceptions + s.waived} exceptions"
    )
    extras = []
    if s.declared:
        extras.append(f"{s.declared} passed on declarations only")
    if s.advisories:
        extras.append(f"{s.advisories} advisory (above the required level)")
    if s.waived:
        extras.append(f"{s.waived} waived")
    if extras:
        out.append("(" + "; ".join(extras) + ")")
    for note in ctx.notes:
        out.append(f"note: {note}")
    if ctx.bundle:
        out.append(f"bundle: {ctx.bundle.path} ({ctx.bundle.digest})")
    verdict = "PASS" if d.passed else "FAIL"
    mode = " (dry run)" if d.dry_run else ""
    if d.meta.get("engine"):  # which engine judged, beside the verdict it produced
        checked = " (cross-checked with regopy)" if d.meta.get("cross_check") else ""
        out.append(f"engine: {d.meta['engine']}{checked}")
    out.append(f"decision: {verdict}{mode}")
    return "\n".join(out) + "\n"
