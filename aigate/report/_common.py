"""Helpers shared by the CI-facing renderers: stable ids, locations, per-control status, escaping.

Invariants the renderers rely on:

- A rule id depends only on *what* was checked (control + rule, or user-policy namespace + rule),
  never on the message, so code-scanning tools keep tracking the same alert across runs.
- A fingerprint depends on the rule id, the namespace and *where* (file + JSON pointer), never on
  message wording that may carry volatile values (dates, counts, digests). Only when two findings
  of one run would otherwise collide does the message join the key (then it is the only thing that
  tells them apart), and an index as the last resort: a fingerprint is unique within one report.
- Every finding has a location: its own, else the user-policy input file it came from, else the
  manifest (built-in controls all judge the release's manifest and evidence).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aigate.findings import Basis, Finding, Severity
from aigate.report.interface import ControlInfo, ReportContext

USER = "USER"

STREAM_NAMES = {"A": "process", "B": "technical"}


def is_user(f: Finding) -> bool:
    return f.control == USER


def rule_id(f: Finding) -> str:
    """The stable, unique id of the rule behind a finding (SARIF ``ruleId``, JUnit test name)."""
    if is_user(f):
        return f"user/{f.namespace or 'main'}/{f.rule}"
    return f"aigate/{f.control}/{f.rule}"


@dataclass(frozen=True)
class Place:
    """Where a finding is reported: file as given (relative to the working directory) and position."""

    file: str
    line: int | None
    column: int | None
    pointer: str | None


def place(f: Finding, ctx: ReportContext) -> Place:
    if f.location is not None:
        loc = f.location
        line = loc.line if loc.line is not None and loc.line >= 1 else None
        column = loc.column if loc.column is not None and loc.column >= 1 and line is not None else None
        return Place(loc.file, line, column, loc.pointer)
    if is_user(f) and f.source:
        return Place(f.source, None, None, None)
    return Place(ctx.manifest_path, None, None, None)


def fingerprints(findings: Sequence[Finding], ctx: ReportContext) -> list[str]:
    """One stable sha256 fingerprint per finding, unique within the list (see module docstring)."""

    def base(f: Finding) -> str:
        p = place(f, ctx)
        where = p.pointer if p.pointer is not None else ""
        return "\x1f".join((rule_id(f), f.namespace or "", p.file, where))

    keys = [base(f) for f in findings]
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    keys = [k + "\x1f" + f.message if counts[k] > 1 else k for k, f in zip(keys, findings, strict=True)]
    seen: dict[str, int] = {}
    out: list[str] = []
    for k in keys:
        n = seen.get(k, 0)
        seen[k] = n + 1
        out.append(hashlib.sha256((k if n == 0 else f"{k}\x1f#{n}").encode()).hexdigest())
    return out


# --- per-control status -------------------------------------------------------------------------

FAIL = "fail"
ADVISORY = "advisory"
WARN = "warn"
WAIVED = "waived"
EXCEPTION = "exception"
PASS = "pass"
PASS_DECLARED = "pass (declared)"
NOT_EVALUATED = "not evaluated"


def status(findings: Iterable[Finding], *, fail_on_warn: bool = False) -> str:
    """Aggregate the findings of one control (or one user rule) into one status word.

    Worst wins. A control with no findings at all was not evaluated: it is never shown as a pass.
    A pass that rests only on declarations says so.
    """
    fs = list(findings)
    if not fs:
        return NOT_EVALUATED
    sev = {f.severity for f in fs}
    if any(f.severity is Severity.DENY and f.blocking for f in fs):
        return FAIL
    if Severity.WARN in sev and fail_on_warn:
        return FAIL
    if Severity.DENY in sev:
        return ADVISORY
    if Severity.WARN in sev:
        return WARN
    if Severity.WAIVED in sev:
        return WAIVED
    if Severity.EXCEPTION in sev:
        return EXCEPTION
    if any(f.basis is Basis.DECLARED for f in fs):
        return PASS_DECLARED
    return PASS


def by_control(ctx: ReportContext) -> list[tuple[ControlInfo | None, str, list[Finding]]]:
    """Built-in findings grouped per control: catalog order first, then unknown controls by id."""
    groups: dict[str, list[Finding]] = {}
    for f in ctx.decision.findings:
        if not is_user(f):
            groups.setdefault(f.control, []).append(f)
    out: list[tuple[ControlInfo | None, str, list[Finding]]] = []
    for c in ctx.controls:
        out.append((c, c.id, groups.pop(c.id, [])))
    for cid in sorted(groups):
        out.append((None, cid, groups[cid]))
    return out


def by_user_rule(ctx: ReportContext) -> list[tuple[str, str, list[Finding]]]:
    """User-policy findings grouped per (namespace, rule), sorted."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in ctx.decision.findings:
        if is_user(f):
            groups.setdefault((f.namespace or "main", f.rule), []).append(f)
    return [(ns, rule, groups[(ns, rule)]) for ns, rule in sorted(groups)]


def references_text(refs: dict[str, list[str]]) -> str:
    """``EU AI Act: Art. 12; NIST AI RMF: MEASURE 2.4`` (keys sorted for stable output)."""
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(refs.items()) if v)


def finding_references(f: Finding, ctx: ReportContext) -> dict[str, list[str]]:
    """A finding's own references, else its control's."""
    if f.references:
        return f.references
    c = None if is_user(f) else ctx.control(f.control)
    return dict(c.references) if c is not None else {}


_WAIVER_KEYS = ("reason", "owner", "expires", "ticket")


def waiver_text(w: dict[str, object] | None) -> str:
    """A waiver as one line: reason, owner, expiry, ticket, then any other scalar keys (sorted)."""
    if not w:
        return ""
    parts = [f"{k}: {w[k]}" for k in _WAIVER_KEYS if w.get(k) not in (None, "")]
    for key in sorted(set(w) - set(_WAIVER_KEYS) - {"control", "rule"}):
        v = w[key]
        if v not in (None, "") and isinstance(v, str | int | float | bool):
            parts.append(f"{key}: {v}")
    return "; ".join(parts) or "waived"


# --- text hygiene ---------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry at all (escaping is ElementTree's job)."""
    return _XML_INVALID.sub("\ufffd", text)


def one_line(text: str) -> str:
    """Collapse all whitespace (including CR/LF) so a message cannot start a new line of output."""
    return " ".join(text.split())
