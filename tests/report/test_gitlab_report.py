"""GitLab Code Quality: the fields GitLab requires, unique fingerprints that survive volatile wording."""

from __future__ import annotations

import dataclasses
import json

from report_cases import K8S, MANIFEST

from aigate.findings import Finding, Location, Severity
from aigate.report import render

SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def test_required_fields(failing_ctx):
    issues = json.loads(render("gitlab", failing_ctx))
    assert isinstance(issues, list) and issues
    for i in issues:
        assert isinstance(i["description"], str) and i["description"]
        assert isinstance(i["check_name"], str) and i["check_name"]
        assert len(i["fingerprint"]) == 64 and int(i["fingerprint"], 16) >= 0
        assert i["severity"] in SEVERITIES
        assert isinstance(i["location"]["path"], str)
        assert isinstance(i["location"]["lines"]["begin"], int) and i["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_severities_and_places(failing_ctx):
    issues = json.loads(render("gitlab", failing_ctx))
    by = {}
    for i in issues:
        by.setdefault(i["check_name"], []).append(i)
    assert by["aigate/ENV/image-pinned"][0]["severity"] == "critical"
    assert by["aigate/ENV/image-pinned"][0]["location"] == {"path": MANIFEST, "lines": {"begin": 21}}
    assert "Art. 12" in by["aigate/ENV/image-pinned"][0]["content"]["body"]
    assert by["aigate/MON/threshold"][0]["severity"] == "major"
    assert by["aigate/APPROVAL/quorum"][0]["severity"] == "minor"
    assert by["aigate/IOLOG/retention"][0]["severity"] == "info"
    assert "waived" in by["aigate/IOLOG/retention"][0]["description"]
    assert [i["location"]["lines"]["begin"] for i in by["user/main/deny_run_as_root"]] == [21, 58]
    assert by["user/kubernetes.labels/warn_labels"][0]["location"]["path"] == K8S
    assert "aigate/DEP/sbom-lock-consistent" not in by  # passes are not issues


def test_fingerprints_stable_across_runs(failing_ctx, make_ctx):
    """A rerun where a count changed and unrelated lines moved keeps every fingerprint."""

    def moved(f: Finding) -> Finding:
        loc = f.location
        if loc is not None and loc.line is not None and f.control != "USER":
            loc = dataclasses.replace(loc, line=loc.line + 3)
        return dataclasses.replace(f, location=loc, message=f.message.replace("100%", "97%"))

    rerun = make_ctx(tuple(moved(f) for f in failing_ctx.decision.findings), failing_ctx.decision.maturity)
    first = [i["fingerprint"] for i in json.loads(render("gitlab", failing_ctx))]
    second = [i["fingerprint"] for i in json.loads(render("gitlab", rerun))]
    assert first == second


def test_fingerprint_changes_with_place_and_rule(make_ctx):
    a = Finding("ENV", "r", Severity.DENY, "m", location=Location(MANIFEST, 3, 1, "/a"))
    b = dataclasses.replace(a, location=Location(MANIFEST, 3, 1, "/b"))
    c = dataclasses.replace(a, rule="other")
    prints = [json.loads(render("gitlab", make_ctx((f,), ())))[0]["fingerprint"] for f in (a, b, c)]
    assert len(set(prints)) == 3


def test_colliding_findings_stay_distinct(make_ctx):
    same = Finding("USER", "deny", Severity.DENY, "m", namespace="main", source=K8S)
    issues = json.loads(render("gitlab", make_ctx((same, same), ())))
    assert len({i["fingerprint"] for i in issues}) == 2


def test_empty_report_is_an_empty_list(passing_ctx):
    assert json.loads(render("gitlab", passing_ctx)) == []
