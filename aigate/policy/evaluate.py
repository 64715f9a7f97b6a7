"""Turn engine results into findings: built-in controls, waivers, maturity, user policies.

Fail closed: a built-in control whose package produced no ``basis`` was not evaluated, and the
run stops (exit 3) instead of counting it as a pass. A namespace the user named that matches no
policy is an input error (exit 2), not a silent pass.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from aigate.errors import EngineError, InputError
from aigate.findings import Basis, Finding, Location, Severity, StreamMaturity
from aigate.policy.interface import Engine
from aigate.policy.library import CONTROLS_PACKAGE, PolicySet
from aigate.report.interface import ControlInfo
from aigate.yamlload import Document

STREAMS = ("A", "B")
MAX_LEVEL = 3


def _location(manifest: Document | None, pointer: Any) -> Location | None:
    if manifest is None or not isinstance(pointer, str) or (not pointer.startswith("/") and pointer != ""):
        return None
    pos = manifest.position(pointer)
    return Location(pos.file, pos.line, pos.column, pointer)


def _items(value: Any) -> list[dict[str, Any]]:
    """Normalise a deny/warn rule's value to finding objects; nothing a rule produced is dropped.

    Objects and strings are the contract; anything else (a number, a list, ``true``) still
    becomes a finding whose message is its JSON, so a malformed deny can never vanish into a pass.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append(item)
        elif isinstance(item, str):
            out.append({"rule": "", "msg": item})
        else:
            out.append({"rule": "", "msg": json.dumps(item, sort_keys=True)})
    return sorted(out, key=lambda d: (str(d.get("rule", "")), str(d.get("msg", ""))))


def evaluate_controls(
    engine: Engine,
    input_doc: dict[str, Any],
    catalog: tuple[ControlInfo, ...],
    manifest: Document | None,
) -> list[Finding]:
    """Evaluate every built-in control package in one query; one or more findings per control."""
    results = engine.query(CONTROLS_PACKAGE, input_doc)
    if not isinstance(results, dict):
        raise EngineError("the built-in controls produced no result (the policy set was not evaluated)")
    findings: list[Finding] = []
    for control in catalog:
        leaf = control.package[len(CONTROLS_PACKAGE) + 1 :]
        node: Any = results
        for part in leaf.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or node.get("basis") not in ("evidence", "declared"):
            raise EngineError(
                f"control {control.id} ({control.package}) was not evaluated: its package defines no 'basis'",
                hint="every built-in control must always define basis; this is a bug in the policy library",
            )
        basis = Basis(node["basis"])
        denies = _items(node.get("deny"))
        warns = _items(node.get("warn"))
        for severity, items in ((Severity.DENY, denies), (Severity.WARN, warns)):
            for item in items:
                item_basis = Basis(item["basis"]) if item.get("basis") in ("evidence", "declared") else basis
                findings.append(
                    Finding(
                        control=control.id,
                        rule=str(item.get("rule") or control.id.lower()),
                        severity=severity,
                        message=str(item.get("msg") or item.get("message") or ""),
                        basis=item_basis,
                        location=_location(manifest, item.get("pointer")),
                        references=control.references,
                    )
                )
        if not denies:
            findings.append(
                Finding(
                    control=control.id,
                    rule="control",
                    severity=Severity.PASS,
                    message=f"{control.title}: passed"
                    + (
                        " (declared in the manifest, not verified against evidence)"
                        if basis is Basis.DECLARED
                        else ""
                    ),
                    basis=basis,
                    references=control.references,
                )
            )
    return findings


def apply_waivers(findings: list[Finding], waivers: list[dict[str, Any]]) -> list[Finding]:
    """A deny or warn matching an active waiver becomes ``waived`` and carries the waiver."""
    out = []
    for f in findings:
        waiver = None
        if f.severity in (Severity.DENY, Severity.WARN):
            for w in waivers:
                if w.get("control") == f.control and (not w.get("rule") or w.get("rule") == f.rule):
                    waiver = w
                    break
        if waiver is None:
            out.append(f)
        else:
            out.append(
                Finding(
                    control=f.control,
                    rule=f.rule,
                    severity=Severity.WAIVED,
                    message=f"{f.message} [waived until {waiver.get('expires')} by {waiver.get('owner')}: "
                    f"{waiver.get('reason')}]",
                    basis=f.basis,
                    blocking=False,
                    location=f.location,
                    waiver=waiver,
                    references=f.references,
                )
            )
    return out


def maturity(
    findings: list[Finding], catalog: tuple[ControlInfo, ...], required: dict[str, int]
) -> tuple[StreamMaturity, ...]:
    """A stream reaches level N when every control of that stream at levels 1..N passes."""
    failing = {f.control for f in findings if f.severity is Severity.DENY}
    out = []
    for stream in STREAMS:
        controls = [c for c in catalog if c.kind == "aima" and c.stream == stream and c.level]
        reached = 0
        holding: tuple[str, ...] = ()
        for level in range(1, MAX_LEVEL + 1):
            at_level = [c.id for c in controls if c.level == level]
            bad = tuple(cid for cid in at_level if cid in failing)
            if bad or not at_level:
                holding = bad
                break
            reached = level
        out.append(StreamMaturity(stream, reached, int(required.get(stream, 1)), holding))
    return tuple(out)


def mark_blocking(
    findings: list[Finding], catalog: tuple[ControlInfo, ...], required: dict[str, int]
) -> list[Finding]:
    """A deny blocks unless its AIMA control sits above the organisation's required level."""
    by_id = {c.id: c for c in catalog}
    out = []
    for f in findings:
        control = by_id.get(f.control)
        blocking = f.severity is Severity.DENY
        if (
            blocking
            and control is not None
            and control.kind == "aima"
            and control.level is not None
            and control.stream is not None
            and control.level > int(required.get(control.stream, 1))
            and f.rule != "waiver-invalid"
        ):
            blocking = False
        if blocking != f.blocking:
            f = Finding(**{**f.__dict__, "blocking": blocking})
        out.append(f)
    return out


# -- conftest-compatible user policies ---------------------------------------------------

RULE_KINDS = ("deny", "violation", "warn")


@dataclass(frozen=True)
class NamespaceSelection:
    patterns: tuple[str, ...] = ("main",)
    all_namespaces: bool = False


def select_namespaces(policies: PolicySet, selection: NamespaceSelection) -> list[str]:
    packages = policies.packages()
    if selection.all_namespaces:
        if not packages:
            raise InputError("--all-namespaces: the user policies declare no packages")
        return packages
    chosen: list[str] = []
    for pattern in selection.patterns:
        matched = [p for p in packages if fnmatch.fnmatchcase(p, pattern)]
        if not matched:
            available = ", ".join(packages) or "none"
            raise InputError(
                f"namespace {pattern!r} matches no policy package (packages: {available})",
                hint="pass --namespace NS or --all-namespaces",
            )
        chosen.extend(m for m in matched if m not in chosen)
    return chosen


def _rule_kind(name: str) -> str | None:
    for kind in RULE_KINDS:
        if name == kind or name.startswith(kind + "_"):
            return kind
    return None


def _message(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("msg", "message"):
            if isinstance(item.get(key), str):
                return str(item[key])

    return json.dumps(item, sort_keys=True)


def _remove_prefix(rule: str) -> str:
    """The name an exception lists for a rule: ``deny_x``/``warn_x``/``violation_x`` -> ``x``."""
    kind = _rule_kind(rule)
    return "" if kind is None or rule == kind else rule[len(kind) + 1 :]


def _exception_hits(result: dict[str, Any], rule: str) -> int:
    """How many results ``data.NS.exception[_][_] == "<rule>"`` has (conftest's exception query)."""
    wanted = _remove_prefix(rule)
    hits = 0
    for entry in result.get("exception") or []:
        values = entry if isinstance(entry, list) else [entry]
        hits += sum(1 for x in values if x == wanted)
    return hits


def _rule_items(value: Any) -> list[Any]:
    if isinstance(value, (str, dict)):
        return [value]
    if isinstance(value, list):
        return value
    return [value] if value else []


def _check_document(result: Any, ns: str, doc: Document, heads: list[str]) -> tuple[list[Finding], int]:
    """One document against one namespace, counted as conftest counts it.

    Each deny/warn message is one result; a rule with an exception is one exception per hit
    (its messages are not reported, on warn_ rules too); a rule with no message is one success;
    and definitions beyond the results (``deny`` written three times, one firing) are successes.
    """
    result = result if isinstance(result, dict) else {}
    pos = doc.position("")
    location = Location(doc.file, pos.line, pos.column, "")

    def finding(rule: str, severity: Severity, message: str, blocking: bool = True) -> Finding:
        return Finding("USER", rule, severity, message, Basis.EVIDENCE, blocking, location, ns, doc.file)

    rules = sorted({*heads, *(n for n in result if _rule_kind(n) is not None)})
    out: list[Finding] = []
    successes = 0
    for name in rules:
        hits = _exception_hits(result, name)
        if hits:
            message = f'data.{ns}.exception[_][_] == "{_remove_prefix(name)}"'
            out.extend(finding(name, Severity.EXCEPTION, message, False) for _ in range(hits))
            continue
        items = _rule_items(result.get(name))
        if not items:
            successes += 1
            continue
        severity = Severity.WARN if _rule_kind(name) == "warn" else Severity.DENY
        out.extend(finding(name, severity, _message(item)) for item in sorted(items, key=_message))
    successes += max(len(heads) - len(out) - successes, 0)
    out.extend(finding(ns, Severity.PASS, f"{ns}: passed") for _ in range(successes))
    return out, len(rules)


def evaluate_user(
    engine: Engine,
    namespaces: list[str],
    documents: list[Document],
    heads: dict[str, list[str]] | None = None,
) -> tuple[list[Finding], int]:
    """Evaluate each document against each namespace, conftest style.

    ``heads`` lists, per namespace, the name of every deny/warn/violation rule definition (one
    entry per definition, as conftest counts them). Returns the findings and the number of rules
    that ran (so "a policy directory with no rules" is detected by the caller: zero rules
    evaluated is not a pass).
    """
    findings: list[Finding] = []
    rules_seen = 0
    for doc in documents:
        for ns in namespaces:
            found, rules = _check_document(engine.query(ns, doc.data), ns, doc, (heads or {}).get(ns, []))
            findings.extend(found)
            rules_seen += rules
    return findings, rules_seen
