"""Markdown: the GitHub step summary and the auditor's ``report.md`` in the evidence bundle.

Layout: a verdict line, the maturity table per stream, a status table of every control (extensions
and user policies apart), then the details in ``<details>`` blocks: every finding with its basis
(evidence or declared), blocking or advisory, location, regulatory references and waiver, and when
the decision carries them (``decision.meta["waivers"]`` / ``["signoffs"]`` / ``["artifacts"]``) the
waivers in force, the sign-offs and the artifacts; ``meta["evidence_time"]`` joins the verdict
line. The report must stand alone for an auditor, so nothing in the decision is left out.

Messages come from policies and manifests that the release's authors may write: every piece of
text is escaped (HTML and Markdown) so it cannot add markup, links or lines to the summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from aigate.findings import Basis, Finding, Severity
from aigate.report._common import (
    ADVISORY,
    EXCEPTION,
    FAIL,
    NOT_EVALUATED,
    PASS,
    PASS_DECLARED,
    STREAM_NAMES,
    WAIVED,
    WARN,
    by_control,
    by_user_rule,
    finding_references,
    one_line,
    place,
    references_text,
    status,
    waiver_text,
)
from aigate.report.interface import ControlInfo, ReportContext

# Inline text never starts a line here (always after a list marker or inside a table cell), so only
# the characters that act mid-line need escaping; ``<``/``>``/``&`` become entities first.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")

_ICON = {
    FAIL: "❌",
    ADVISORY: "🔶",
    WARN: "⚠️",
    WAIVED: "⏭️",
    EXCEPTION: "⏭️",
    PASS: "✅",
    PASS_DECLARED: "☑️",
    NOT_EVALUATED: "⬜",
}


def esc(text: object) -> str:
    """Inline-safe text: one line, HTML-escaped, Markdown punctuation backslash-escaped."""
    s = one_line(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: object, *, table: bool = False) -> str:
    """Inline code that cannot be broken out of: backtick fence longer than any run inside.

    In a table cell a ``|`` would end the cell even inside code, so GFM wants it escaped there.
    """
    s = one_line(str(text))
    if table:
        s = s.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _where(f: Finding, ctx: ReportContext) -> str:
    p = place(f, ctx)
    out = p.file
    if p.line is not None:
        out += f":{p.line}"
        if p.column is not None:
            out += f":{p.column}"
    return out


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "status" in value and isinstance(value["status"], str):
            return esc(value["status"])
        return code(json.dumps(value, sort_keys=True, ensure_ascii=False), table=True)
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value) or "—"
    return esc(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _dict_table(items: Sequence[dict[str, Any]], preferred: Sequence[str]) -> list[str]:
    keys = [k for k in preferred if any(k in it for it in items)]
    keys += sorted({k for it in items for k in it} - set(keys))
    return _table([esc(k) for k in keys], [[_cell(it.get(k)) for k in keys] for it in items])


def _verdict(ctx: ReportContext) -> list[str]:
    d = ctx.decision
    s = d.summary
    icon = "✅" if d.passed else "❌"
    mode = "dry run" if d.dry_run else "recorded"
    head = f"## {icon} aigate: **{d.verdict}** ({mode})"
    counts = [
        f"{s.failures} blocking denial{'s' * (s.failures != 1)}",
        f"{s.warnings} warning{'s' * (s.warnings != 1)}",
        f"{s.advisories} advisory",
        f"{s.waived} waived",
        f"{s.exceptions} exception{'s' * (s.exceptions != 1)}",
        f"{s.passed} passed ({s.declared} on declarations only)",
    ]
    lines = [head, "", f"{', '.join(counts)} · aigate {esc(ctx.tool_version)}"]
    if d.meta.get("evidence_time"):
        lines[-1] += f" · evidence time {esc(d.meta['evidence_time'])}"
    if d.fail_on_warn:
        lines[-1] += " · `--fail-on-warn`"
    return lines


def _maturity(ctx: ReportContext) -> list[str]:
    rows = []
    for m in ctx.decision.maturity:
        rows.append(
            [
                f"{esc(m.stream)} ({esc(STREAM_NAMES.get(m.stream, m.stream))})",
                f"L{m.level}",
                f"L{m.required}",
                "✅ meets" if m.meets else "❌ below",
                ", ".join(esc(c) for c in m.failing) or "—",
            ]
        )
    header = ["Stream", "Reached", "Required", "Status", "Holding back the next level"]
    return ["### Maturity (OWASP AIMA Secure Deployment)", "", *_table(header, rows)]


def _basis(fs: list[Finding]) -> str:
    if not fs:
        return "—"
    kinds = sorted({f.basis.value for f in fs})
    return ", ".join(kinds)


def _control_rows(
    groups: list[tuple[ControlInfo | None, str, list[Finding]]], ctx: ReportContext
) -> list[list[str]]:
    rows = []
    for c, cid, fs in groups:
        st = status(fs, fail_on_warn=ctx.decision.fail_on_warn)
        title = f"**{esc(cid)}** {esc(c.title)}" if c else f"**{esc(cid)}**"
        lvl = f"L{c.level} {esc(c.stream)}" if c and c.level is not None and c.stream else "—"
        refs = references_text(c.references) if c else ""
        rows.append([title, lvl, f"{_ICON[st]} {st}", _basis(fs), esc(refs) if refs else "—"])
    return rows


def _controls(ctx: ReportContext) -> list[str]:
    groups = by_control(ctx)
    aima = [g for g in groups if g[0] is not None and g[0].kind == "aima"]
    other = [g for g in groups if g not in aima]
    header = ["Control", "Level", "Status", "Basis", "References"]
    out = ["### Controls", "", *_table(header, _control_rows(aima, ctx))]
    if other:
        out += ["", "**Extensions** (deny on their own; do not change the AIMA level)", ""]
        out += _table(header, _control_rows(other, ctx))
    users = by_user_rule(ctx)
    if users:
        out += ["", "**User policies**", ""]
        rows = []
        for ns, rule, fs in users:
            st = status(fs, fail_on_warn=ctx.decision.fail_on_warn)
            files = sorted({place(f, ctx).file for f in fs})
            rows.append(
                [
                    code(ns, table=True),
                    esc(rule),
                    f"{_ICON[st]} {st}",
                    ", ".join(code(x, table=True) for x in files),
                ]
            )
        out += _table(["Namespace", "Rule", "Status", "Input files"], rows)
    return out


def _finding(f: Finding, ctx: ReportContext) -> list[str]:
    rid = f"{f.namespace or 'main'}/{f.rule}" if f.control == "USER" else f"{f.control}/{f.rule}"
    basis = "declared only" if f.basis is Basis.DECLARED else "evidence"
    out = [f"- **{esc(rid)}** ({basis}) — {esc(f.message)}  ", f"  at {code(_where(f, ctx))}"]
    refs = finding_references(f, ctx)
    if refs:
        out[-1] += f" · references: {esc(references_text(refs))}"
    if f.severity is Severity.WAIVED:
        out[-1] += f" · waiver: {esc(waiver_text(f.waiver))}"
    return out


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _findings(ctx: ReportContext) -> list[str]:
    d = ctx.decision
    sections: list[tuple[str, list[Finding]]] = [
        ("Blocking denials", [f for f in d.findings if f.severity is Severity.DENY and f.blocking]),
        ("Warnings", [f for f in d.findings if f.severity is Severity.WARN]),
        (
            "Advisory denials (above the required level; do not block)",
            [f for f in d.findings if f.severity is Severity.DENY and not f.blocking],
        ),
        ("Waived", [f for f in d.findings if f.severity is Severity.WAIVED]),
        ("Policy exceptions", [f for f in d.findings if f.severity is Severity.EXCEPTION]),
        ("Passed", [f for f in d.findings if f.severity is Severity.PASS]),
    ]
    body: list[str] = []
    for title, fs in sections:
        if not fs:
            continue
        if body:
            body.append("")
        body += [f"#### {title} ({len(fs)})", ""]
        for f in fs:
            body += _finding(f, ctx)
    if not body:
        body = ["No findings: nothing was evaluated, which is not a pass."]
    return _details(f"Findings ({len(d.findings)})", body)


def _signoffs(meta: Any) -> list[str]:
    body: list[str] = []
    if isinstance(meta, dict):
        if "satisfied" in meta:
            body.append(f"Required sign-offs satisfied: **{_cell(meta['satisfied'])}**")
        if meta.get("policy_change"):
            body.append("")
            body.append(
                "This release changes policy data or the approvers file: an extra approval is required."
            )
        roles = meta.get("roles")
        if isinstance(roles, dict) and roles:
            items = [
                {"role": r, **v} if isinstance(v, dict) else {"role": r, "value": v}
                for r, v in sorted(roles.items())
            ]
            body += ["", *_dict_table(items, ["role", "quorum", "counted", "satisfied"])]
        approvals = meta.get("approvals")
        if isinstance(approvals, list) and approvals:
            items = [a for a in approvals if isinstance(a, dict)]
            body += ["", "Approvals found:", ""]
            body += _dict_table(items, ["role", "signer", "key", "verified", "counted", "reason", "commit"])
        rest = {
            k: v for k, v in meta.items() if k not in {"satisfied", "policy_change", "roles", "approvals"}
        }
        for k in sorted(rest):
            body += ["", f"{esc(k)}: {_cell(rest[k])}"]
    elif isinstance(meta, list) and meta:
        body += _dict_table(
            [a for a in meta if isinstance(a, dict)], ["role", "signer", "key", "verified", "counted"]
        )
    if not body:
        body = ["No sign-off information was recorded."]
    return _details("Sign-offs", body)


def _artifacts(meta: Any) -> list[str]:
    items: list[dict[str, Any]] = []
    if isinstance(meta, list):
        items = [a for a in meta if isinstance(a, dict)]
    elif isinstance(meta, dict):
        items = [
            {"path": k, **v} if isinstance(v, dict) else {"path": k, "value": v}
            for k, v in sorted(meta.items())
        ]
    body = _dict_table(items, ["path", "kind", "format", "size", "sha256", "safety"]) if items else []
    return _details(f"Artifacts ({len(items)})", body or ["No artifacts were recorded."])


def _waivers(waivers: Any) -> list[str]:
    items = [w for w in waivers if isinstance(w, dict)] if isinstance(waivers, list) else []
    body = _dict_table(items, ["control", "rule", "reason", "owner", "expires", "ticket"])
    return _details(f"Waivers in force ({len(items)})", body)


def render(ctx: ReportContext) -> str:
    lines = _verdict(ctx)
    lines += ["", *_maturity(ctx), "", *_controls(ctx), "", *_findings(ctx)]
    meta = ctx.decision.meta
    if meta.get("waivers"):
        lines += ["", *_waivers(meta["waivers"])]
    if "signoffs" in meta:
        lines += ["", *_signoffs(meta["signoffs"])]
    if "artifacts" in meta:
        lines += ["", *_artifacts(meta["artifacts"])]
    if ctx.notes:
        lines += ["", "### Notes", ""] + [f"- {esc(n)}" for n in ctx.notes]
    if ctx.bundle is not None:
        lines += ["", f"Evidence bundle: {code(ctx.bundle.path)} ({code(ctx.bundle.digest)})"]
    return "\n".join(lines) + "\n"
