"""Markdown: verdict first, maturity table, everything an auditor needs, and no markup from findings."""

from __future__ import annotations

import re

from aigate.findings import Finding, Severity, StreamMaturity
from aigate.report import render
from aigate.report.markdown import code, esc


def test_layout(failing_ctx):
    md = render("markdown", failing_ctx)
    lines = md.splitlines()
    assert lines[0] == "## ❌ aigate: **fail** (dry run)"
    assert lines[2].endswith("· evidence time 2026-11-26T18:00:00Z")
    assert md.index("### Maturity") < md.index("### Controls") < md.index("<details>")
    assert md.count("<details>") == md.count("</details>") == 4  # findings, waivers, sign-offs, artifacts
    assert "| A (process) | L0 | L1 | ❌ below | ENV |" in lines
    assert "| B (technical) | L2 | L1 | ✅ meets | DRIFT |" in lines


def test_every_finding_listed_with_basis_references_and_waiver(failing_ctx):
    md = render("markdown", failing_ctx)
    for f in failing_ctx.decision.findings:
        assert f"/{esc(f.rule)}**" in md
    assert md.count("(declared only)") == 2  # TRACK pass, DRIFT advisory
    assert "references: eu-ai-act: Art. 12; nist-ai-rmf: MAP 2.3" in md
    waiver = "reason: legal hold pending; owner: ciso@example.com; expires: 2027-01-31; ticket: SEC-1234"
    assert f"waiver: {waiver}" in md
    assert "| IOLOG | retention | legal hold pending | ciso@example.com | 2027-01-31 | SEC-1234 |" in md
    assert "#### Advisory denials (above the required level; do not block) (2)" in md
    assert "| **USAGE** Usage metrics | L1 B | ⬜ not evaluated | — | — |" in md


def test_meta_sections(failing_ctx, passing_ctx):
    md = render("markdown", failing_ctx)
    assert "<summary>Sign-offs</summary>" in md
    assert "| ml-lead | mallory@example.com | — | no | no | unsigned trailer | d4e5f6a |" in md
    assert "<summary>Artifacts (1)</summary>" in md and "| unsafe |" in md
    passing = render("markdown", passing_ctx)
    assert "Sign-offs" not in passing and "Artifacts" not in passing
    assert passing.splitlines()[0] == "## ✅ aigate: **pass** (recorded)"
    assert "Evidence bundle: `out/bundle`" in passing


def test_hostile_text_is_inert(make_ctx):
    evil = "<img src=x onerror=alert(1)> </details> | *x* [y](javascript:z) `code`\n## heading"
    f = Finding("USER", "deny", Severity.DENY, evil, namespace="a|b", source="in|put.yaml")
    md = render("markdown", make_ctx((f,), (StreamMaturity("A", 0, 1, ("X",)),)))
    assert "<img" not in md and md.count("</details>") == 1
    assert "\n## heading" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "\\[y\\](javascript:z)" in md and "\\*x\\*" in md
    # table rows keep their column count despite the pipes
    row = next(line for line in md.splitlines() if line.startswith("| `a"))
    assert len(re.split(r"(?<!\\)\|", row)) == 6


def test_code_spans_cannot_be_closed_early():
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("p|q", table=True) == "`p\\|q`"


def test_no_findings_is_not_a_pass(make_ctx):
    md = render("markdown", make_ctx((), ()))
    assert "nothing was evaluated, which is not a pass" in md
