"""aigate.inputs: each parser's shape against an independent reference or conftest's documented shape.

References: Java's own ``java.util.Properties`` (run with the JDK's single-file launcher) for
``.properties``; conftest's Go parser tests and BuildKit's dispatch table for the Dockerfile shape;
conftest's go-ini conversion rules for INI. Attacks: environment interpolation in ``.env``, XML
entity expansion, oversized input, unparseable bytes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_support import missing

from aigate.errors import InputError
from aigate.inputs import PARSERS, combine, load_input, parser_for

JAVA_DUMP = """
import java.io.*; import java.util.*;
public class Dump { public static void main(String[] a) throws Exception {
  Properties p = new Properties();
  try (Reader r = new InputStreamReader(new FileInputStream(a[0]), "UTF-8")) { p.load(r); }
  StringBuilder sb = new StringBuilder("{");
  for (String k : new TreeSet<>(p.stringPropertyNames())) {
    if (sb.length() > 1) sb.append(",");
    sb.append(q(k)).append(":").append(q(p.getProperty(k)));
  }
  System.out.print(sb.append("}"));
}
static String q(String s) { StringBuilder b = new StringBuilder("\\""); for (char c : s.toCharArray()) {
  if (c == '"' || c == '\\\\') b.append('\\\\').append(c); else if (c < 32 || c > 126) b.append(String.format("\\\\u%04x", (int) c)); else b.append(c); }
  return b.append('"').toString(); } }
"""

PROPERTIES = (
    "# comment\n! also a comment\n"
    "plain=value\n"
    "spaced   =   padded value  \n"
    "colon:sep\n"
    "ws sep value\n"
    "multi = one \\\n    two \\\n    three\n"
    "esc\\=key = tab\\tnew\\nline\n"
    "unicode = caf\\u00e9\n"
    "empty=\n"
    "lonely\n"
    "url=https://example.com/a?b=c#frag\n"
    "even\\\\=backslash at end\\\\\n"
    "   indented.key = x\n"
)


def test_properties_match_java_util_properties(tmp_path: Path) -> None:
    if shutil.which("java") is None:
        missing("needs a JDK (java) as the reference: apt-get install default-jdk-headless")
    src = tmp_path / "in.properties"
    src.write_text(PROPERTIES, encoding="utf-8")
    (tmp_path / "Dump.java").write_text(JAVA_DUMP)
    out = subprocess.run(
        ["java", str(tmp_path / "Dump.java"), str(src)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    expected = json.loads(out)
    got = PARSERS["properties"].parse(src.read_bytes(), str(src))[0].data
    assert got == expected


def test_dockerfile_shape_is_conftests() -> None:
    text = (
        b"# syntax=docker/dockerfile:1\nARG BASE=alpine\n# the build stage\nFROM golang:1.22 AS build\n"
        b'COPY --from=src --chown=1:1 /a /b\nRUN ["go", "build"]\nFROM ${BASE}\n'
        b'ENV A=1 B="two words"\nHEALTHCHECK --interval=5s CMD curl -f http://x/\nONBUILD RUN make\n'
        b"ENTRYPOINT java -jar app.jar\n"
    )
    cmds = PARSERS["dockerfile"].parse(text, "Dockerfile")[0].data
    rows = [(c["Cmd"], c["Flags"], c["Value"], c["JSON"], c["Stage"], c["SubCmd"]) for c in cmds]
    assert rows == [
        ("arg", [], ["BASE=alpine"], False, 0, ""),
        ("comment", [], ["the build stage"], False, 0, ""),
        ("from", [], ["golang:1.22", "AS", "build"], False, 0, ""),
        ("copy", ["--from=src", "--chown=1:1"], ["/a", "/b"], False, 0, ""),
        ("run", [], ["go", "build"], True, 0, ""),
        ("from", [], ["${BASE}"], False, 1, ""),
        ("env", [], ["A", "1", "B", '"two words"'], False, 1, ""),
        ("healthcheck", ["--interval=5s"], ["CMD", "curl -f http://x/"], False, 1, ""),
        ("onbuild", [], ["make"], False, 1, "run"),
        ("entrypoint", [], ["java -jar app.jar"], False, 1, ""),
    ]
    assert set(cmds[0]) == {"Cmd", "SubCmd", "JSON", "Flags", "Value", "Stage"}  # conftest's Command fields


def test_ini_converts_like_go_ini() -> None:
    text = b'top = dropped\n[server]\nport = 3000\nratio = 0.5\non = true\nflag = F\nname = "quoted"\nKey = Case ; note\n'
    data = PARSERS["ini"].parse(text, "x.ini")[0].data
    assert data == {
        "server": {"port": 3000, "ratio": 0.5, "on": True, "flag": False, "name": "quoted", "Key": "Case"}
    }


def test_dotenv_never_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGATE_TEST_SECRET", "s3cr3t-value")
    data = PARSERS["dotenv"].parse(b"A=${AIGATE_TEST_SECRET}\nB='x'\n", ".env")[0].data
    assert data == {"A": "${AIGATE_TEST_SECRET}", "B": "x"}
    with pytest.raises(InputError) as err:
        PARSERS["dotenv"].parse(b"A=1\nnot a binding\n", ".env")
    assert err.value.one_line().startswith(".env:2"), err.value.one_line()


def test_xml_entities_are_refused_not_expanded() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'
    with pytest.raises(InputError):
        PARSERS["xml"].parse(bomb, "x.xml")
    data = PARSERS["xml"].parse(b'<p a="1"><q>t</q><q>u</q></p>', "x.xml")[0].data
    assert data == {"p": {"-a": "1", "q": ["t", "u"]}}


def test_parse_errors_name_file_and_line() -> None:
    for name, text in [
        ("hcl2", b'resource "a" "b" {\n  x = \n}\n'),
        ("toml", b"a = 1\nb = \n"),
        ("json", b'{"a": 1,\n "b": }'),
        ("yaml", b"a: 1\nb: [\n"),
        ("xml", b"<a>\n<b></a>\n"),
    ]:
        with pytest.raises(InputError) as err:
            PARSERS[name].parse(text, f"f.{name}")
        assert err.value.position is not None and err.value.position.file == f"f.{name}", name
        assert err.value.position.line is not None, (name, err.value.one_line())


def test_hcl2_labelled_blocks_nest_like_hcl2json() -> None:
    text = b'resource "aws_s3_bucket" "a" {\n  acl = "private"\n  rule { id = 1 }\n  rule { id = 2 }\n}\nlocals { x = 1 }\n'
    data = PARSERS["hcl2"].parse(text, "m.tf")[0].data
    assert data == {
        "resource": {"aws_s3_bucket": {"a": [{"acl": "private", "rule": [{"id": 1}, {"id": 2}]}]}},
        "locals": [{"x": 1}],
    }


def test_inputs_are_size_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aigate.inputs as inputs

    big = tmp_path / "big.json"
    big.write_text('{"a": "' + "x" * 2000 + '"}')
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(InputError, match="limit is 1000"):
        load_input(str(big))


def test_names_choose_parsers_and_unknown_names_none() -> None:
    assert parser_for("Dockerfile") is PARSERS["dockerfile"]
    assert parser_for("build/Containerfile.prod") is PARSERS["dockerfile"]
    assert parser_for("prod.env") is PARSERS["dotenv"] and parser_for(".env") is PARSERS["dotenv"]
    assert parser_for("main.tf") is PARSERS["hcl2"] and parser_for("pom.xml") is PARSERS["xml"]
    for name in ("varnish.vcl", "Jenkinsfile", "deployment.cue", "README"):
        assert parser_for(name) is None


def test_combine_is_conftests_shape(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("kind: b\n---\nkind: c\n")
    (tmp_path / "a.json").write_text('{"kind": "a"}')
    files = [load_input(str(tmp_path / "b.yaml")), load_input(str(tmp_path / "a.json"))]
    assert combine(files).data == [
        {"path": str(tmp_path / "a.json"), "contents": {"kind": "a"}},
        {"path": str(tmp_path / "b.yaml"), "contents": {"kind": "b"}},
        {"path": str(tmp_path / "b.yaml"), "contents": {"kind": "c"}},
    ]


def test_dockerfile_parsing_touches_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # dockerfile-parse without a file object reads and writes ./Dockerfile of the working directory
    monkeypatch.chdir(tmp_path)
    PARSERS["dockerfile"].parse(b"FROM a\n", "elsewhere/Dockerfile")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "Dockerfile").write_text("FROM original\n")
    cmds = PARSERS["dockerfile"].parse(b"FROM other\n", "elsewhere/Dockerfile")[0].data
    assert cmds[0]["Value"] == ["other"] and (tmp_path / "Dockerfile").read_text() == "FROM original\n"


def test_parsing_a_dockerfile_writes_nothing_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dockerfile-parse given no file object reads and writes ./Dockerfile; aigate must never do that."""
    monkeypatch.chdir(tmp_path)
    PARSERS["dockerfile"].parse(b"FROM alpine:3\nUSER root\n", "elsewhere/Dockerfile")
    assert list(tmp_path.iterdir()) == []


def test_jsonnet_is_evaluated_under_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import aigate.inputs.jsonnet as jsonnet

    assert PARSERS["jsonnet"].parse(b"{a: 1 + 2, b: [x * 2 for x in [1, 2]]}", "a.jsonnet")[0].data == {
        "a": 3,
        "b": [2, 4],
    }
    with pytest.raises(InputError, match="import"):
        PARSERS["jsonnet"].parse(b'import "/etc/passwd"', "a.jsonnet")
    monkeypatch.setattr(jsonnet, "CPU_SECONDS", 1)
    with pytest.raises(InputError) as err:
        PARSERS["jsonnet"].parse(
            b"local f(n) = if n == 0 then 0 else 1 + f(n - 1) + f(n - 1); f(80)", "loop.jsonnet"
        )
    assert err.value.position is not None and err.value.position.file == "loop.jsonnet"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.toml", "a = " + "[" * 2000 + "]" * 2000 + "\n"),
        ("deep.xml", "<a>" * 200 + "</a>" * 200),
        ("deep.tf", "a = " + "[" * 300 + "]" * 300 + "\n"),
    ],
)
def test_deep_nesting_is_exit_2_not_a_crash(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match="nests"):
        load_input(str(path))
