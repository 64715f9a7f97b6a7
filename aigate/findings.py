"""Findings, the maturity result and the decision: the gate's results as frozen data.

A denial, a warning, a waiver and a pass are all :class:`Finding` objects; the exit code is
computed from a :class:`Decision` in exactly one place (:meth:`Decision.exit_code`).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    DENY = "deny"
    WARN = "warn"
    WAIVED = "waived"
    PASS = "pass"
    EXCEPTION = "exception"

    def __str__(self) -> str:
        return self.value


class Basis(str, enum.Enum):
    """How strong the check behind a finding was."""

    EVIDENCE = "evidence"  # verified against collected evidence
    DECLARED = "declared"  # only read the manifest's declarations

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None  # JSON pointer into the document, when known


@dataclass(frozen=True)
class Finding:
    control: str  # AIMA control id (ENV, ...), extension id, or "USER" for user policies
    rule: str  # stable rule name within the control
    severity: Severity
    message: str
    basis: Basis = Basis.EVIDENCE
    blocking: bool = True  # False: a deny of a control above the organisation's required level
    location: Location | None = None
    namespace: str | None = None  # user policies: the Rego package
    source: str | None = None  # user policies: the input file evaluated
    waiver: dict[str, Any] | None = None
    references: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["basis"] = self.basis.value
        out["evidence"] = self.basis is Basis.EVIDENCE
        out["declared"] = self.basis is Basis.DECLARED
        if self.location is None:
            del out["location"]
        for key in ("namespace", "source", "waiver"):
            if out[key] is None:
                del out[key]
        if not out["references"]:
            del out["references"]
        return out


@dataclass(frozen=True)
class StreamMaturity:
    stream: str  # "A" (process) or "B" (technical)
    level: int  # highest level whose controls (and all below) pass
    required: int
    failing: tuple[str, ...]  # controls that hold the stream below the next level

    @property
    def meets(self) -> bool:
        return self.level >= self.required


@dataclass(frozen=True)
class Summary:
    tests: int
    passed: int
    warnings: int
    failures: int
    exceptions: int
    waived: int
    advisories: int  # denies that do not block (controls above the required level)
    declared: int  # passes resting only on declarations


@dataclass(frozen=True)
class Decision:
    """The outcome of one gate run; immutable once computed."""

    findings: tuple[Finding, ...]
    maturity: tuple[StreamMaturity, ...]
    summary: Summary
    fail_on_warn: bool = False
    dry_run: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        if any(f.severity is Severity.DENY and f.blocking for f in self.findings):
            return False
        if not all(m.meets for m in self.maturity):
            return False
        return not (self.fail_on_warn and any(f.severity is Severity.WARN for f in self.findings))

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def exit_code(self) -> int:
        """The one place the gate's exit code comes from."""
        return 0 if self.passed else 1


def summarize(findings: tuple[Finding, ...] | list[Finding]) -> Summary:
    counts = {s: 0 for s in Severity}
    advisories = declared = 0
    for f in findings:
        if f.severity is Severity.DENY and not f.blocking:
            advisories += 1
            continue
        counts[f.severity] += 1
        if f.severity is Severity.PASS and f.basis is Basis.DECLARED:
            declared += 1
    return Summary(
        tests=len(findings),
        passed=counts[Severity.PASS],
        warnings=counts[Severity.WARN],
        failures=counts[Severity.DENY],
        exceptions=counts[Severity.EXCEPTION],
        waived=counts[Severity.WAIVED],
        advisories=advisories,
        declared=declared,
    )
