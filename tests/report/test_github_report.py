"""GitHub workflow commands: escaped per the runner's rules, one command per line, no injection."""

from __future__ import annotations

import pytest

from aigate.findings import Finding, Location, Severity
from aigate.report import render
from aigate.report.github import command, escape_data, escape_property


def _unescape(s: str, prop: bool) -> str:
    if prop:
        s = s.replace("%3A", ":").replace("%2C", ",")
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str] | None:
    """Read a line the way the Actions runner does: ``::name k=v,...::data`` (the first ``::`` after
    the name ends the properties); anything else is plain log text."""
    text = line.strip()
    if not text.startswith("::"):
        return None
    end = text.index("::", 2)
    head, data = text[2:end], text[end + 2 :]
    name, _, props = head.partition(" ")
    out = {}
    for pair in filter(None, props.split(",")):
        k, _, v = pair.partition("=")
        out[k] = _unescape(v, prop=True)
    return name, out, _unescape(data, prop=False)


def test_escaping_rules():
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert command("error", "m", file="a,b:c", line=3, col=None) == "::error file=a%2Cb%3Ac,line=3::m"


def test_round_trip_of_hostile_text(make_ctx):
    msg = "50% done\r\nnext line ::set-output name=x::y, a:b"
    f = Finding(
        "TRACK",
        "r",
        Severity.DENY,
        msg,
        location=Location("dir,with:odd%name/aigate.yaml", 7, 2),
    )
    lines = render("github", make_ctx((f,), ())).splitlines()
    errors = [p for p in map(parse, lines) if p and p[0] == "error" and "file" in p[1]]
    assert len(errors) == 1
    _name, props, data = errors[0]
    assert props["file"] == "dir,with:odd%name/aigate.yaml"
    assert props["line"] == "7" and props["col"] == "2"
    assert props["title"] == "aigate/TRACK/r (blocking)"
    # CR/LF are collapsed before escaping: the message stays one log line and reads the same
    assert data == " ".join(msg.split())


def test_failing_annotations(failing_ctx):
    lines = render("github", failing_ctx).splitlines()
    cmds = [p for p in map(parse, lines) if p]
    kinds = [c[0] for c in cmds]
    assert kinds.count("group") == kinds.count("endgroup") == 2
    anns = [c for c in cmds if c[0] in ("error", "warning", "notice") and c[1].get("file")]
    by_title = {c[1]["title"]: c for c in anns}
    assert by_title["aigate/ENV/image-pinned (blocking)"][0] == "error"
    assert by_title["aigate/ENV/image-pinned (blocking)"][1]["line"] == "21"
    assert by_title["aigate/APPROVAL/quorum (advisory, does not block)"][0] == "warning"
    assert by_title["aigate/IOLOG/retention (waived)"][0] == "notice"
    assert "legal hold pending" in by_title["aigate/IOLOG/retention (waived)"][2]
    assert by_title["aigate/DRIFT/declared (advisory, does not block, declared only)"][0] == "warning"
    user = [c for c in anns if c[1]["title"].startswith("user/main/deny_run_as_root")]
    assert [u[1]["line"] for u in user] == ["21", "58"]
    assert user[0][2] == "Deployment fraud | runs as root; `kubectl` ::set-output name=x::y 50%,ok"
    # the verdict is the last line
    assert cmds[-1][0] == "error" and cmds[-1][1]["title"] == "aigate decision: fail"


@pytest.mark.parametrize("case", ["failing", "passing"])
def test_every_line_is_a_command_or_inert_text(case, request):
    """Plain lines never start with ``::`` (the runner would read them as a command)."""
    known = {"group", "endgroup", "error", "warning", "notice"}
    for line in render("github", request.getfixturevalue(case + "_ctx")).splitlines():
        p = parse(line)
        assert p is None or p[0] in known, line


def test_plain_lines_cannot_become_commands(make_ctx):
    f = Finding("ENV", "r", Severity.PASS, "::add-mask::secret")
    lines = render("github", make_ctx((f,), ())).splitlines()
    assert not any(line.strip().startswith("::add-mask") for line in lines)
    passed = [line for line in lines if "add-mask" in line]
    assert passed == ["aigate/ENV/r: ::add-mask::secret"]


def test_fail_on_warn_makes_warnings_errors(make_ctx):
    f = Finding("MON", "t", Severity.WARN, "low")
    lines = render("github", make_ctx((f,), (), fail_on_warn=True)).splitlines()
    ann = [p for p in map(parse, lines) if p and p[1].get("title", "").startswith("aigate/MON/t")]
    assert ann[0][0] == "error"
