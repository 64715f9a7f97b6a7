"""Report rendering timings, each beside a comparison, on a large decision.

A decision of N findings (default 5,000: a quarter of them user-policy findings spread over 250
input files, with every severity, waivers and references) is rendered in each CI-facing format
(sarif, junit, markdown, github, gitlab). The comparison is the floor for "turning the same
findings into text": ``json.dumps`` of ``[f.to_dict() for f in findings]``. No budget is set in
DESIGN.md for rendering; the point is to see that no renderer is quadratic (the ratio stays flat
when N grows) and that a whole CI report set costs well under the 1.5 s dry-run budget.

Run: python bench/bench_report.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

from aigate.findings import Basis, Decision, Finding, Location, Severity, StreamMaturity, summarize
from aigate.report import render
from aigate.report.interface import ControlInfo, ReportContext

RUNS = 5
IDS = ["ENV", "DEP", "TRACK", "MON", "IOLOG", "USAGE", "APPROVAL", "ROLLBACK", "AUDIT", "RBAC"]
SEVERITIES = [Severity.DENY, Severity.WARN, Severity.WAIVED, Severity.PASS, Severity.EXCEPTION]


def median_time(fn: Callable[[], object], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def decision(n: int) -> ReportContext:
    controls = tuple(
        ControlInfo(
            c, f"{c} control", 1 + i % 3, "AB"[i % 2], "aima", f"What {c} checks.", {"eu-ai-act": ["Art. 12"]}
        )
        for i, c in enumerate(IDS)
    )
    findings = []
    for i in range(n):
        sev = SEVERITIES[i % len(SEVERITIES)]
        if i % 4 == 3:
            findings.append(
                Finding(
                    "USER",
                    f"deny_rule_{i % 40}",
                    sev,
                    f"Deployment app-{i} runs as root: 50% of pods, {i} replicas",
                    location=Location(f"deploy/k8s-{i % 250}.yaml", 1 + i % 300, 3),
                    namespace="main",
                    source=f"deploy/k8s-{i % 250}.yaml",
                )
            )
        else:
            findings.append(
                Finding(
                    IDS[i % len(IDS)],
                    f"rule-{i % 60}",
                    sev,
                    f"finding {i}: value {i * 7} is outside the allowed range <0, 100>",
                    basis=Basis.DECLARED if i % 3 == 0 else Basis.EVIDENCE,
                    blocking=i % 2 == 0,
                    location=Location("aigate.yaml", 1 + i % 120, 5, f"/path/{i % 30}"),
                    waiver={"reason": "accepted", "owner": "ciso@example.com", "expires": "2027-01-01"}
                    if sev is Severity.WAIVED
                    else None,
                )
            )
    fs = tuple(findings)
    d = Decision(fs, (StreamMaturity("A", 0, 1, ("ENV",)), StreamMaturity("B", 1, 1, ())), summarize(fs))
    return ReportContext(d, controls, "aigate.yaml", ".", "0.1.0")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    ctx = decision(n)
    floor = median_time(lambda: json.dumps([f.to_dict() for f in ctx.decision.findings]))
    print(f"{n} findings; floor json.dumps(to_dict) {floor * 1000:.1f} ms")
    total = 0.0
    for fmt in ("sarif", "junit", "markdown", "github", "gitlab"):
        t = median_time(lambda fmt=fmt: render(fmt, ctx))
        total += t
        print(f"  {fmt:<9} {t * 1000:8.1f} ms   {t / floor:5.1f}x floor")
    print(f"  all five {total * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
