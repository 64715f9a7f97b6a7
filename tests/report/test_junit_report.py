"""JUnit: parses with junitparser and has the shape GitLab's ``artifacts:reports:junit`` reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped
from lxml import etree

from aigate.findings import Finding, Severity, StreamMaturity
from aigate.report import render

# The elements GitLab's JUnit parser knows (anything else is ignored there; we emit nothing else).
GITLAB_ELEMENTS = {
    "testsuites",
    "testsuite",
    "testcase",
    "failure",
    "error",
    "skipped",
    "system-out",
    "system-err",
}


def parse(text: str) -> JUnitXml:
    """Parse as a consumer does: the report is a UTF-8 file with an XML declaration."""
    return JUnitXml.fromstring(text.encode("utf-8"))


def _cases(xml: JUnitXml) -> dict[str, object]:
    return {f"{case.classname}::{case.name}": case for suite in xml for case in suite}


@pytest.mark.parametrize("case", ["failing", "passing"])
def test_parses_and_counts_agree(case, request):
    text = render("junit", request.getfixturevalue(f"{case}_ctx"))
    xml = parse(text)
    total = fails = skips = 0
    for suite in xml:
        results = [type(r) for c in suite for r in c.result]
        assert suite.tests == len(list(suite))
        assert suite.failures == results.count(Failure)
        assert suite.skipped == results.count(Skipped)
        assert suite.errors == 0
        total += suite.tests
        fails += suite.failures
        skips += suite.skipped
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == total
    assert int(root.get("failures")) == fails
    assert root.get("skipped") is None  # not allowed on <testsuites> by junit-10.xsd
    assert sum(int(s.get("skipped")) for s in root.iter("testsuite")) == skips
    assert {el.tag for el in root.iter()} <= GITLAB_ELEMENTS
    for tc in root.iter("testcase"):  # GitLab needs both to name a test
        assert tc.get("name") and tc.get("classname")


SCHEMA = Path(__file__).parent / "schemas" / "junit-10.xsd"


@pytest.mark.parametrize("case", ["failing", "passing"])
def test_validates_against_jenkins_junit_xsd(case, request):
    """Jenkins' junit-10.xsd (vendored from the xUnit plugin) is the independent reference."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(render("junit", request.getfixturevalue(f"{case}_ctx")).encode("utf-8"))
    assert schema.validate(doc), schema.error_log


def test_the_xsd_check_is_live():
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    bad = etree.fromstring(b'<testsuites skipped="1"><testsuite name="a" tests="0" failures="0" errors="0"/></testsuites>')
    assert not schema.validate(bad)


def test_one_case_per_control_and_user_rule(failing_ctx):
    cases = _cases(parse(render("junit", failing_ctx)))
    controls = {c.id for c in failing_ctx.controls}
    assert {k.split("::")[0].removeprefix("aigate.controls.") for k in cases if "controls" in k} == controls
    assert "aigate.user.main::deny_run_as_root" in cases
    assert "aigate.user.kubernetes.labels::warn_labels" in cases
    assert len(cases) == len(controls) + 2


def test_results_per_state(failing_ctx):
    cases = _cases(parse(render("junit", failing_ctx)))

    def only(key):
        case = cases[key]
        return case.result[0] if case.result else None

    env = only("aigate.controls.ENV::ENV Environment capture (L1A)")
    assert isinstance(env, Failure) and "not pinned by digest" in env.message
    user = only("aigate.user.main::deny_run_as_root")
    assert isinstance(user, Failure) and user.message.endswith("(and 1 more)")
    assert "fraud-shadow" in user.text and "k8s.yaml:58:7" in user.text
    waived = only("aigate.controls.IOLOG::IOLOG I/O logging (L1B)")
    assert isinstance(waived, Skipped) and "legal hold pending" in waived.message
    assert isinstance(only("aigate.controls.RBAC::RBAC Access restrictions (L2B)"), Skipped)
    not_run = only("aigate.controls.USAGE::USAGE Usage metrics (L1B)")
    assert isinstance(not_run, Skipped) and "not a pass" in not_run.message
    # advisory denies and warnings pass but stay visible
    approval = cases["aigate.controls.APPROVAL::APPROVAL Approval workflows (L2A)"]
    assert approval.is_passed and "ADVISORY" in approval.system_out
    mon = cases["aigate.controls.MON::MON Basic monitoring (L1B)"]
    assert mon.is_passed and "auc 0.91" in mon.system_out


def test_fail_on_warn_turns_warnings_into_failures(make_ctx):
    f = Finding("MON", "threshold", Severity.WARN, "auc low")
    ctx = make_ctx((f,), (StreamMaturity("B", 1, 1, ()),), fail_on_warn=True)
    xml = parse(render("junit", ctx))
    mon = _cases(xml)["aigate.controls.MON::MON Basic monitoring (L1B)"]
    assert isinstance(mon.result[0], Failure) and mon.result[0].type == "warn"


def test_invalid_xml_characters_are_replaced(make_ctx):
    f = Finding("ENV", "x", Severity.DENY, "bad \x00\x07 bytes & <tags>")
    text = render("junit", make_ctx((f,), ()))
    case = _cases(parse(text))["aigate.controls.ENV::ENV Environment capture (L1A)"]
    assert case.result[0].message == "bad \ufffd\ufffd bytes & <tags>"
