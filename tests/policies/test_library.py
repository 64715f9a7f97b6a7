"""The built-in library honours the per-control contract (docs/input.md) on real inputs.

Every control package carries its ``# METADATA`` block, always defines ``basis``, and produces
findings of the documented shape; the engine's output stays valid JSON for inputs with and without
evidence (regopy corrupts its JSON output when a message is built from a literal-bound string,
so this is checked on every control, not assumed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTROLS_DIR = ROOT / "policies" / "aigate" / "controls"

# DESIGN.md, "The controls": id -> (level, stream); extensions have neither.
AIMA = {
    "ENV": (1, "A"), "DEP": (1, "A"), "TRACK": (1, "A"),
    "MON": (1, "B"), "IOLOG": (1, "B"), "USAGE": (1, "B"),
    "APPROVAL": (2, "A"), "ROLLBACK": (2, "A"), "AUDIT": (2, "A"),
    "RBAC": (2, "B"), "ACCESSLOG": (2, "B"), "ENCRYPT": (2, "B"),
    "COMPLY": (3, "A"), "AUTOMATE": (3, "A"), "AUDITREADY": (3, "A"),
    "RESILIENCE": (3, "B"), "DRIFT": (3, "B"), "ALERT": (3, "B"),
}  # fmt: skip
EXTENSIONS = {"MODELSAFE", "LICENSE"}
RULE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FRAMEWORKS = {"eu_ai_act", "nist_ai_rmf", "iso_42001"}
NIST_SUBCATEGORY = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$")
ISO_CONTROL = re.compile(r"^A\.\d+\.\d+(\.\d+)?$")
AI_ACT_REF = re.compile(r"^(Art\. \d+(\(\d+\))?(\([a-z]\))?|Annex [IVX]+(\(\d+\))?(\([a-z]\))?)$")


def control_files() -> list[Path]:
    return sorted(p for p in CONTROLS_DIR.glob("*.rego") if not p.name.endswith("_test.rego"))


def metadata_of(path: Path) -> tuple[dict[str, Any], str]:
    """The package-scope ``# METADATA`` YAML block and the package name of a control file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# METADATA", f"{path.name}: must start with a # METADATA block"
    block = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    package = next(line.split()[1] for line in lines if line.startswith("package "))
    meta = yaml.safe_load("\n".join(block))
    assert isinstance(meta, dict)
    return meta, package


def test_one_file_per_control() -> None:
    ids = {metadata_of(p)[0]["custom"]["id"] for p in control_files()}
    assert ids == set(AIMA) | EXTENSIONS


@pytest.mark.parametrize("path", control_files(), ids=lambda p: p.stem)
def test_metadata_block(path: Path) -> None:
    meta, package = metadata_of(path)
    custom = meta["custom"]
    cid = custom["id"]
    assert package == f"aigate.controls.{cid.lower()}"
    assert path.stem == cid.lower()
    assert isinstance(meta["title"], str) and meta["title"]
    assert isinstance(meta["description"], str) and len(meta["description"]) > 40
    if cid in EXTENSIONS:
        assert custom["kind"] == "extension"
        assert "level" not in custom and "stream" not in custom
    else:
        assert custom["kind"] == "aima"
        assert (custom["level"], custom["stream"]) == AIMA[cid]
    refs = custom["references"]
    assert set(refs) == FRAMEWORKS
    assert all(AI_ACT_REF.match(r) for r in refs["eu_ai_act"]), refs["eu_ai_act"]
    assert all(NIST_SUBCATEGORY.match(r) for r in refs["nist_ai_rmf"]), refs["nist_ai_rmf"]
    assert all(ISO_CONTROL.match(r) for r in refs["iso_42001"]), refs["iso_42001"]


INPUTS = ["minimal", "full_manifest_no_evidence", "full_evidence", "hollow_evidence"]


@pytest.mark.parametrize("name", INPUTS)
def test_every_control_evaluates_with_documented_output(
    name: str, input_builders: dict[str, Any], evaluate: Any
) -> None:
    result = evaluate(input_builders[name]())
    assert set(result) == {cid.lower() for cid in [*AIMA, *EXTENSIONS]}
    for package, value in result.items():
        assert value.get("basis") in {"evidence", "declared"}, f"{package}: basis undefined"
        for kind in ("deny", "warn"):
            for f in value.get(kind, []):
                assert set(f) <= {"rule", "msg", "pointer", "basis"}, (package, f)
                assert RULE_NAME.match(f["rule"]), (package, f["rule"])
                assert isinstance(f["msg"], str) and len(f["msg"]) > 20, (package, f)
                assert '"' not in f["msg"][:1] and "%!" not in f["msg"], (package, f["msg"])
                if "pointer" in f:
                    assert f["pointer"] == "" or f["pointer"].startswith("/"), (package, f)
                if "basis" in f:
                    assert f["basis"] in {"evidence", "declared"}


def test_basis_follows_evidence(input_builders: dict[str, Any], evaluate: Any) -> None:
    without = evaluate(input_builders["full_manifest_no_evidence"]())
    with_all = evaluate(input_builders["full_evidence"]())
    assert {p for p, v in without.items() if v["basis"] == "evidence"} == set()
    # only the controls whose evidence no collector can supply stay declared
    assert {p for p, v in with_all.items() if v["basis"] == "declared"} == {
        "accesslog",
        "encrypt",
        "resilience",
    }


def test_full_evidence_release_passes_everything(input_builders: dict[str, Any], evaluate: Any) -> None:
    """A release with complete, good evidence has no deny anywhere (the library is satisfiable)."""
    result = evaluate(input_builders["full_evidence"]())
    denies = {p: [f["rule"] for f in v.get("deny", [])] for p, v in result.items() if v.get("deny")}
    # the built-in defaults trust nobody: approvals fail until policy data lists approvers
    assert denies == {"approval": ["role-has-no-members", "role-has-no-members"]}
    warns = {p: sorted(f["rule"] for f in v.get("warn", [])) for p, v in result.items() if v.get("warn")}
    assert warns == {"automate": ["policy-not-pinned"], "license": ["license-review"]}


def test_approval_passes_once_policy_data_lists_approvers(
    input_builders: dict[str, Any], evaluate: Any, default_data: Any
) -> None:
    data = default_data()
    member = {"name": "Ada", "email": "ada@example.com", "ssh_keys": ["ada@example.com ssh-ed25519 AAAA"]}
    for role in data["approvals"]["roles"].values():
        role["members"] = [member]
    result = evaluate(input_builders["full_evidence"](), data)
    assert result["approval"].get("deny", []) == []
    assert result["approval"]["basis"] == "evidence"


def test_thresholds_come_from_policy_data(
    input_builders: dict[str, Any], evaluate: Any, default_data: Any
) -> None:
    doc = input_builders["full_evidence"]()
    doc["manifest"]["monitoring"]["io_logging"]["retention_days"] = 30
    denies = evaluate(doc)["iolog"]["deny"]
    assert [f["msg"] for f in denies] == [
        "I/O log retention is 30 days; policy requires at least 180"
        " (set monitoring.io_logging.retention_days)"
    ]
    data = default_data()
    data["thresholds"]["io_log_retention_days"] = 20
    assert evaluate(doc, data)["iolog"].get("deny", []) == []


def _function_names(text: str) -> set[str]:
    return set(re.findall(r"^([a-z_][a-z0-9_]*)\([^)]*\)\s*(?::=|if\b|\{)", text, re.MULTILINE))


def test_function_names_are_unique_across_packages() -> None:
    """regopy 1.5.2 confuses same-named functions in different packages (segfaults, bogus cycles)."""
    seen: dict[str, str] = {}
    for path in sorted((ROOT / "policies").rglob("*.rego")):
        for name in _function_names(path.read_text(encoding="utf-8")):
            assert name not in seen or seen[name] == path.name, (
                f"{name} defined in {seen.get(name)} and {path.name}"
            )
            seen[name] = path.name


def test_controls_never_call_bare_sprintf() -> None:
    """Messages go through util.say: regopy's sprintf quotes literal-bound strings (invalid JSON)."""
    for path in control_files():
        assert not re.search(r"(?<![.\w])sprintf\(", path.read_text(encoding="utf-8")), path.name
