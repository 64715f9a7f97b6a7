"""SARIF: valid against the official 2.1.0 schema, unique stable rule ids, findings placed right."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest
from report_cases import K8S, MANIFEST, SCHEMAS

from aigate.findings import Finding, Location, Severity
from aigate.report import render


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("case", ["failing", "passing"])
def test_validates_against_sarif_schema(case, request, validator):
    log = json.loads(render("sarif", request.getfixturevalue(f"{case}_ctx")))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_log(failing_ctx, validator):
    """The validator is live: the same log with a bad level does not pass."""
    log = json.loads(render("sarif", failing_ctx))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(log)


def test_rule_ids_unique_and_indexed(failing_ctx):
    run = json.loads(render("sarif", failing_ctx))["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids))
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
    # Two findings of one user rule share one descriptor.
    assert ids.count("user/main/deny_run_as_root") == 1
    assert sum(r["ruleId"] == "user/main/deny_run_as_root" for r in run["results"]) == 2


def test_levels_and_suppressions(failing_ctx):
    run = json.loads(render("sarif", failing_ctx))["runs"][0]
    by_rule = {}
    for r in run["results"]:
        by_rule.setdefault(r["ruleId"], []).append(r)
    assert by_rule["aigate/ENV/image-pinned"][0]["level"] == "error"
    assert by_rule["aigate/APPROVAL/quorum"][0]["level"] == "warning"  # advisory deny
    assert "advisory" in by_rule["aigate/APPROVAL/quorum"][0]["message"]["text"]
    assert by_rule["aigate/MON/threshold"][0]["level"] == "warning"
    waived = by_rule["aigate/IOLOG/retention"][0]
    assert waived["suppressions"][0]["justification"].startswith("reason: legal hold pending")
    assert by_rule["aigate/RBAC/no-wildcard"][0]["suppressions"][0]["kind"] == "external"
    assert "declared only" in by_rule["aigate/DRIFT/declared"][0]["message"]["text"]
    # passes are not alerts
    assert not any(r["ruleId"].startswith("aigate/DEP/") for r in run["results"])


def test_locations(failing_ctx):
    run = json.loads(render("sarif", failing_ctx))["runs"][0]
    res = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r for r in run["results"]
    }
    env = res[("aigate/ENV/image-pinned", 21)]["locations"][0]
    assert env["physicalLocation"]["artifactLocation"]["uri"] == MANIFEST
    assert env["physicalLocation"]["region"] == {"startLine": 21, "startColumn": 10}
    assert env["logicalLocations"][0]["fullyQualifiedName"] == "/serving/image"
    user = res[("user/main/deny_run_as_root", 58)]["locations"][0]["physicalLocation"]
    assert user["artifactLocation"]["uri"] == K8S
    # a user finding without a line is placed in its input file, not in the manifest
    labels = res[("user/kubernetes.labels/warn_labels", 1)]["locations"][0]["physicalLocation"]
    assert labels["artifactLocation"]["uri"] == K8S
    # a built-in finding without a location is placed in the manifest
    approval = res[("aigate/APPROVAL/quorum", 1)]["locations"][0]["physicalLocation"]
    assert approval["artifactLocation"]["uri"] == MANIFEST


def test_references_in_rule_properties(failing_ctx):
    rules = {
        r["id"]: r for r in json.loads(render("sarif", failing_ctx))["runs"][0]["tool"]["driver"]["rules"]
    }
    env = rules["aigate/ENV/image-pinned"]
    assert env["properties"]["references"] == {"eu-ai-act": ["Art. 12"], "nist-ai-rmf": ["MAP 2.3"]}
    assert "Art. 12" in env["help"]["markdown"]
    # control-level references are used when the finding carries none
    assert rules["aigate/APPROVAL/quorum"]["properties"]["references"]["eu-ai-act"] == ["Art. 14"]
    assert rules["aigate/ENV/image-pinned"]["properties"]["tags"] == [
        "aigate",
        "security",
        "aima",
        "level-1",
        "stream-A",
    ]


def test_github_ranks_findings(failing_ctx):
    """What GitHub code scanning reads to rank alerts: informationUri, helpUri, security-severity."""
    run = json.loads(render("sarif", failing_ctx))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/aigate-dev/aigate"
    results_by_rule: dict[str, set[str]] = {}
    for r in run["results"]:
        results_by_rule.setdefault(r["ruleId"], set()).add(r["level"])
    for rule in driver["rules"]:
        sev = float(rule["properties"]["security-severity"])
        assert "security" in rule["properties"]["tags"]
        levels = results_by_rule[rule["id"]]
        if "error" in levels:
            assert sev >= 7.0, rule["id"]  # high or critical: a blocking deny
        else:
            assert sev < 7.0, rule["id"]
        if rule["id"].startswith("aigate/"):
            control = rule["properties"]["control"].lower()
            assert rule["helpUri"].endswith(f"/policies/aigate/controls/{control}.rego"), rule["helpUri"]


def test_fingerprints_ignore_volatile_message_and_line(make_ctx, failing_ctx):
    """Same rule at the same place with a different count and a moved line keeps its fingerprint."""
    before = failing_ctx.decision.findings
    changed = tuple(
        dataclasses.replace(
            f, message=f.message.replace("100%", "99%"), location=Location(MANIFEST, 25, 10, "/serving/image")
        )
        if f.rule == "image-pinned"
        else f
        for f in before
    )
    ctx2 = make_ctx(changed, failing_ctx.decision.maturity)

    def prints(ctx):
        run = json.loads(render("sarif", ctx))["runs"][0]
        return {r["ruleId"]: r["partialFingerprints"]["aigateFindingHash/v1"] for r in run["results"]}

    assert prints(failing_ctx)["aigate/ENV/image-pinned"] == prints(ctx2)["aigate/ENV/image-pinned"]
    all_prints = [
        r["partialFingerprints"]["aigateFindingHash/v1"]
        for r in json.loads(render("sarif", failing_ctx))["runs"][0]["results"]
    ]
    assert len(all_prints) == len(set(all_prints))


def test_run_properties_carry_decision(failing_ctx, passing_ctx):
    props = json.loads(render("sarif", failing_ctx))["runs"][0]["properties"]
    assert props["decision"] == "fail"
    assert props["maturity"][0] == {
        "stream": "A",
        "name": "process",
        "level": 0,
        "required": 1,
        "meets": False,
        "failing": ["ENV"],
    }
    passing = json.loads(render("sarif", passing_ctx))["runs"][0]
    assert passing["properties"]["decision"] == "pass"
    assert passing["results"] == []
    assert passing["properties"]["bundle"]["digest"].startswith("sha256:")


def test_absolute_location_becomes_file_uri(make_ctx, validator):
    f = Finding("ENV", "x", Severity.DENY, "m", location=Location("/abs/path/aigate.yaml", 3))
    log = json.loads(render("sarif", make_ctx((f,), ())))
    assert validator.is_valid(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "file:///abs/path/aigate.yaml"}
