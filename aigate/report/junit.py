"""JUnit XML: for GitLab ``artifacts:reports:junit`` and any CI test-report viewer.

One ``<testcase>`` per control of the catalog and per user-policy rule (namespace + rule), grouped
in one ``<testsuite>`` per stream (AIMA A, AIMA B), one for the extensions and one for user
policies. A testcase fails when the gate would block on it (a blocking deny, or a warning under
``--fail-on-warn``); it is skipped when waived or excepted, and also when the control produced
no result at all ("not evaluated": never shown as a pass). Advisory denies and plain warnings
pass but are written to ``<system-out>`` so they stay visible. No timestamps: the same decision
renders to the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from aigate.findings import Basis, Finding, Severity
from aigate.report._common import (
    ADVISORY,
    EXCEPTION,
    FAIL,
    NOT_EVALUATED,
    STREAM_NAMES,
    WAIVED,
    by_control,
    by_user_rule,
    finding_references,
    one_line,
    place,
    references_text,
    status,
    waiver_text,
    xml_safe,
)
from aigate.report.interface import ControlInfo, ReportContext


@dataclass
class _Case:
    classname: str
    name: str
    state: str
    findings: list[Finding]


@dataclass
class _Suite:
    name: str
    cases: list[_Case] = field(default_factory=list)


def _where(f: Finding, ctx: ReportContext) -> str:
    p = place(f, ctx)
    out = p.file
    if p.line is not None:
        out += f":{p.line}"
        if p.column is not None:
            out += f":{p.column}"
    return out


def _line(f: Finding, ctx: ReportContext) -> str:
    tags = [f.severity.value]
    if f.severity is Severity.DENY and not f.blocking:
        tags.append("advisory")
    if f.basis is Basis.DECLARED:
        tags.append("declared")
    text = f"[{', '.join(tags)}] {f.rule}: {one_line(f.message)} ({_where(f, ctx)})"
    refs = finding_references(f, ctx)
    if refs:
        text += f" refs: {references_text(refs)}"
    if f.severity is Severity.WAIVED:
        text += f" waiver: {waiver_text(f.waiver)}"
    return text


def _suite_name(c: ControlInfo | None) -> str:
    if c is None or c.kind != "aima" or c.stream is None:
        return "aigate extensions"
    return f"aigate AIMA stream {c.stream} ({STREAM_NAMES.get(c.stream, c.stream)})"


def _suites(ctx: ReportContext) -> list[_Suite]:
    fow = ctx.decision.fail_on_warn
    suites: dict[str, _Suite] = {}
    # Fixed suite order: the AIMA streams by name, then extensions, then user policies.
    for name in sorted({_suite_name(ci) for ci in ctx.controls if ci.kind == "aima" and ci.stream}):
        suites[name] = _Suite(name)
    for info, cid, fs in by_control(ctx):
        suite = suites.setdefault(_suite_name(info), _Suite(_suite_name(info)))
        label = f"{cid} {info.title}" if info is not None else cid
        if info is not None and info.level is not None:
            label += f" (L{info.level}{info.stream or ''})"
        suite.cases.append(_Case(f"aigate.controls.{cid}", label, status(fs, fail_on_warn=fow), fs))
    users = by_user_rule(ctx)
    if users:
        suite = suites.setdefault("aigate user policies", _Suite("aigate user policies"))
        for ns, rule, fs in users:
            suite.cases.append(_Case(f"aigate.user.{ns}", rule, status(fs, fail_on_warn=fow), fs))
    return [s for s in suites.values() if s.cases]


def _counts(cases: list[_Case]) -> dict[str, str]:
    return {
        "tests": str(len(cases)),
        "failures": str(sum(c.state == FAIL for c in cases)),
        "errors": "0",
        "skipped": str(sum(c.state in (WAIVED, EXCEPTION, NOT_EVALUATED) for c in cases)),
        "time": "0",
    }


def render(ctx: ReportContext) -> str:
    suites = _suites(ctx)
    totals = _counts([c for s in suites for c in s.cases])
    del totals["skipped"]  # junit-10.xsd allows skipped on <testsuite> only; the suites carry it
    root = ET.Element("testsuites", {"name": f"aigate {ctx.decision.verdict}", **totals})
    for s in suites:
        se = ET.SubElement(root, "testsuite", {"name": s.name, **_counts(s.cases)})
        for case in s.cases:
            ce = ET.SubElement(se, "testcase", {"classname": case.classname, "name": case.name, "time": "0"})
            failing: list[Finding] = []
            if case.state == FAIL:
                failing = [
                    f
                    for f in case.findings
                    if (f.severity is Severity.DENY and f.blocking)
                    or (f.severity is Severity.WARN and ctx.decision.fail_on_warn)
                ]
                first = failing[0]
                message = one_line(first.message)
                if len(failing) > 1:
                    message += f" (and {len(failing) - 1} more)"
                fe = ET.SubElement(
                    ce, "failure", {"message": xml_safe(message), "type": first.severity.value}
                )
                fe.text = "\n".join(xml_safe(_line(f, ctx)) for f in failing)
            elif case.state == NOT_EVALUATED:
                ET.SubElement(ce, "skipped", {"message": "not evaluated in this run (not a pass)"})
            elif case.state in (WAIVED, EXCEPTION):
                why = [
                    waiver_text(f.waiver)
                    if f.severity is Severity.WAIVED
                    else "policy exception rule matched"
                    for f in case.findings
                    if f.severity in (Severity.WAIVED, Severity.EXCEPTION)
                ]
                ET.SubElement(ce, "skipped", {"message": xml_safe(f"{case.state}: {'; '.join(why)}")})
            # Everything not already in <failure>: passes, warnings, advisories, waivers.
            lines = [xml_safe(_line(f, ctx)) for f in case.findings if f not in failing]
            if lines:
                out = ET.SubElement(ce, "system-out")
                prefix = (
                    "ADVISORY (does not block: above the required level)\n" if case.state == ADVISORY else ""
                )
                out.text = prefix + "\n".join(lines)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
