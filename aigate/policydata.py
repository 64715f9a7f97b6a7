"""Policy data: the organisation's settings (required levels, approvers, licenses, thresholds, waivers).

Policy data never comes from the manifest the release's authors edit. The built-in defaults ship
with aigate; each ``--data FILE`` is deep-merged over them in order (mappings merge, everything
else replaces), then the result is validated against ``policy-data.schema.json``. The policies see
it as ``data.aigate.config``.

**The release cannot lower its own bar.** Each file's bytes come from where the release's author
cannot change them (docs/security.md):

- ``external``: a file outside the project root (the organisation's checkout or a CI secret file);
- ``pinned``: ``--data FILE@sha256:HEX``, the file's digest as the organisation published it;
- ``range-base``: a file inside the project is read *as committed at the range base* (the commit
  the previous release's verified decision records), never from the working tree; a change to it
  in the range is the signoffs collector's policy change, which blocks until approved under this
  old data (:data:`GUARD_RULES`: never waived, never advisory);
- ``release-tree``: a file inside the project with no verified previous release to anchor it: read
  from the working tree, and the decision carries a warning saying so.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position
from aigate.findings import Basis, Finding, Severity
from aigate.schemas import validate_document
from aigate.yamlload import Document, Limits, load_yaml_documents, read_bounded

DATA_LIMITS = Limits(max_bytes=4 * 1024 * 1024)


SOURCE_STRENGTH = ("release-tree", "range-base", "pinned", "external", "built-in")

#: APPROVAL rules that guard the bar itself: they block whatever the required levels, and no waiver
#: applies to them (a release that changed the bar must not be judged by the changed bar).
GUARD_RULES = frozenset({"policy-change-unapproved"})


@dataclass(frozen=True)
class DataSource:
    file: str
    sha256: str
    source: str = "built-in"  # one of SOURCE_STRENGTH
    revision: str | None = None  # range-base: the commit the file was read at


@dataclass(frozen=True)
class PolicyData:
    data: dict[str, Any]
    sources: tuple[DataSource, ...] = ()
    documents: tuple[Document, ...] = field(default=(), repr=False)

    @property
    def required_levels(self) -> dict[str, int]:
        levels = self.data.get("required_levels") or {}
        return {"A": int(levels.get("A", 1)), "B": int(levels.get("B", 1))}

    @property
    def waivers(self) -> list[dict[str, Any]]:
        return list(self.data.get("waivers") or [])

    @property
    def source(self) -> str:
        """The weakest source any file came from (what the bar in force can be trusted as)."""
        kinds = [s.source for s in self.sources] or ["built-in"]
        return min(kinds, key=SOURCE_STRENGTH.index)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def default_data() -> Document:
    raw = resources.files("aigate.data").joinpath("default-policy-data.yaml").read_bytes()
    return load_yaml_documents(raw, "<built-in policy data>", limits=DATA_LIMITS, multi=False)[0]


def _split_pin(name: str) -> tuple[str, str | None]:
    """``FILE@sha256:HEX`` -> (FILE, HEX); a plain name has no pin."""
    head, sep, tail = name.rpartition("@sha256:")
    if not sep:
        return name, None
    if len(tail) != 64 or any(c not in "0123456789abcdef" for c in tail.lower()):
        raise InputError(f"--data {name}: the pin must be @sha256: and 64 hex digits")
    return head, tail.lower()


def _inside(root: Path | None, path: Path) -> str | None:
    if root is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _read_at(root: Path, rev: str, rel: str, display: str) -> bytes | None:
    """The file's bytes as committed at ``rev`` (None: it did not exist there)."""
    import subprocess

    proc = subprocess.run(["git", "-C", str(root), "show", f"{rev}:./{rel}"], capture_output=True, timeout=60)
    if proc.returncode != 0:
        return None
    if len(proc.stdout) > DATA_LIMITS.max_bytes:
        raise InputError(f"{display} at {rev[:12]} is larger than {DATA_LIMITS.max_bytes} bytes")
    return proc.stdout


def _data_bytes(name: str, root: Path | None, base: str | None) -> tuple[bytes | None, DataSource, str]:
    """Where one ``--data`` file's bytes come from (see the module docstring) and the bytes."""
    fname, pin = _split_pin(name)
    path = Path(fname)
    rel = _inside(root, path)
    if pin is not None or rel is None or root is None:
        raw = read_bounded(path, limits=DATA_LIMITS, what="policy data file", display=fname)
        digest = hashlib.sha256(raw).hexdigest()
        if pin is not None and digest != pin:
            raise InputError(
                f"{fname}: sha256 is {digest}, not the pinned {pin}",
                hint="the policy data changed; use the organisation's published file and digest",
            )
        kind = "pinned" if pin is not None else ("external" if root is not None else "release-tree")
        return raw, DataSource(fname, digest, kind), fname
    if base is None:
        raw = read_bounded(path, limits=DATA_LIMITS, what="policy data file", display=fname)
        return raw, DataSource(fname, hashlib.sha256(raw).hexdigest(), "release-tree"), fname
    display = f"{base[:12]}:{rel}"
    at_base = _read_at(root, base, rel, display)
    digest = hashlib.sha256(at_base).hexdigest() if at_base is not None else ""
    return at_base, DataSource(fname, digest, "range-base", base), display


def read_policy_data(
    files: list[str] | tuple[str, ...], *, root: Path | None = None, base: str | None = None
) -> PolicyData:
    """The ``--data`` files merged over the defaults, **not yet schema-validated**
    (:func:`validate_policy_data`); ``root`` and ``base`` decide each file's source.

    The gate reads the data before it validates it so that the policy set can compile while
    jsonschema loads (aigate.gate); nothing may read the result before it is validated.
    """
    default = default_data()
    merged: dict[str, Any] = default.data
    sources = [DataSource("<built-in>", "")]
    docs = [default]
    for name in files:
        raw, src, display = _data_bytes(name, root, base)
        sources.append(src)
        if raw is None:  # not in the tree at the range base: added in the range, judged as absent
            continue
        docs_in = load_yaml_documents(raw, display, limits=DATA_LIMITS, multi=False)
        if len(docs_in) != 1 or not isinstance(docs_in[0].data, dict):
            raise InputError("policy data must be one YAML/JSON mapping", position=Position(display, 1, 1))
        doc = docs_in[0]
        kind = doc.data.get("kind", "PolicyData")
        if kind != "PolicyData":
            raise InputError(f"unknown kind {kind!r}; expected 'PolicyData'", position=doc.position("/kind"))
        merged = deep_merge(merged, doc.data)
        docs.append(doc)
    return PolicyData(merged, tuple(sources), tuple(docs))


def validate_policy_data(policy: PolicyData) -> PolicyData:
    """Each file on its own first (errors point into the file that has them), then the merge."""
    for doc in policy.documents[1:]:
        validate_document(doc, "policy-data.schema.json", "policy data")
    validate_document(
        Document(policy.data, {}, "<merged policy data>"), "policy-data.schema.json", "policy data"
    )
    return policy


def load_policy_data(
    files: list[str] | tuple[str, ...], *, root: Path | None = None, base: str | None = None
) -> PolicyData:
    """Merge the ``--data`` files over the defaults and validate them; ``root`` and ``base`` decide
    each file's source. Without ``root`` (callers that only read a file, e.g. ``aigate approve``)
    every file is read as it is on disk."""
    return validate_policy_data(read_policy_data(files, root=root, base=base))


def waiver_findings(policy: PolicyData, today: dt.date) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Split waivers into the ones in force and deny findings for broken ones.

    An expired waiver, one without an owner or reason, or one longer than ``waiver_max_days`` is
    itself a deny on the control it tried to waive: a waiver never silently lapses into a pass.
    """
    max_days = int(policy.data.get("waiver_max_days", 90))
    active: list[dict[str, Any]] = []
    broken: list[Finding] = []
    for i, waiver in enumerate(policy.waivers):
        control = str(waiver.get("control", "?")).upper()
        problems = []
        if not str(waiver.get("owner") or "").strip():
            problems.append("has no owner")
        if not str(waiver.get("reason") or "").strip():
            problems.append("has no reason")
        expires_raw = waiver.get("expires")
        expires: dt.date | None = None
        try:
            expires = dt.date.fromisoformat(str(expires_raw))
        except ValueError:
            problems.append(f"has an invalid expiry {expires_raw!r}")
        if expires is not None:
            if expires < today:
                problems.append(f"expired on {expires.isoformat()}")
            elif (expires - today).days > max_days:
                problems.append(f"runs {(expires - today).days} days; policy allows at most {max_days}")
        if problems:
            broken.append(
                Finding(
                    control=control,
                    rule="waiver-invalid",
                    severity=Severity.DENY,
                    message=f"waiver #{i + 1} for {control}"
                    + (f"/{waiver['rule']}" if waiver.get("rule") else "")
                    + f" {', '.join(problems)}; renew or remove it in the policy data",
                    basis=Basis.EVIDENCE,
                    waiver=dict(waiver),
                )
            )
        else:
            active.append(dict(waiver, control=control))
    return active, broken


def check_waiver_targets(policy: PolicyData, controls: dict[str, frozenset[str] | None]) -> None:
    """A waiver must name a control that exists (and, with ``rule``, a rule of it): exit 2 otherwise.

    ``controls`` maps each control id to its known rule ids (None: rules not enumerable). A waiver
    that names nothing would waive nothing today and silently start to apply later."""
    for i, waiver in enumerate(policy.waivers):
        control = str(waiver.get("control", "")).upper()
        where = _waiver_position(policy, i)
        if control not in controls:
            raise InputError(
                f"waiver #{i + 1} names control {waiver.get('control')!r}, which does not exist "
                f"(known: {', '.join(sorted(controls))})",
                position=where,
            )
        rules = controls[control]
        rule = waiver.get("rule")
        if rule and rules is not None and rule not in rules:
            raise InputError(
                f"waiver #{i + 1} names rule {rule!r} of {control}, which has no such rule "
                f"(known: {', '.join(sorted(rules))})",
                position=where,
            )


def _waiver_position(policy: PolicyData, index: int) -> Position | None:
    """The position of the waiver in the last file that sets ``waivers`` (lists replace on merge)."""
    for doc in reversed(policy.documents):
        if isinstance(doc.data, dict) and "waivers" in doc.data:
            return doc.position(f"/waivers/{index}")
    return None


def guard_findings(findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """Split the findings that guard the bar itself (:data:`GUARD_RULES`) from the others."""
    guards = [f for f in findings if f.rule in GUARD_RULES and f.severity is Severity.DENY]
    return guards, [f for f in findings if f not in guards]


def enforce_guards(findings: list[Finding]) -> list[Finding]:
    """Guard denies block whatever the required level of their control (never advisory)."""
    out = []
    for f in findings:
        if f.rule in GUARD_RULES and f.severity is Severity.DENY and not f.blocking:
            f = Finding(**{**f.__dict__, "blocking": True})
        out.append(f)
    return out


def source_findings(policy: PolicyData) -> list[Finding]:
    """A bar read from the release's own tree is never silent: a warning naming the files."""
    tree = [s.file for s in policy.sources if s.source == "release-tree"]
    if not tree:
        return []
    return [
        Finding(
            control="APPROVAL",
            rule="policy-data-from-release-tree",
            severity=Severity.WARN,
            message=f"policy data {', '.join(tree)} was read from the release's own tree: no verified "
            "previous release anchors it, so the release's author could have lowered the bar; keep "
            "policy data outside the project, pin it (--data FILE@sha256:...), or pass --bundles",
            basis=Basis.DECLARED,
        )
    ]


_RULE_ID = re.compile(r'"rule"\s*:\s*"([A-Za-z0-9_.-]+)"')


def known_controls(catalog: Any, modules: Any) -> dict[str, frozenset[str] | None]:
    """Control ids of the catalog with the rule ids their Rego sources name literally."""
    by_package: dict[str, set[str]] = {}
    for m in modules:
        by_package.setdefault(m.package, set()).update(_RULE_ID.findall(m.source))
    out: dict[str, frozenset[str] | None] = {}
    for c in catalog:
        rules = by_package.get(c.package)
        out[c.id] = frozenset(rules | {"waiver-invalid", *GUARD_RULES}) if rules else None
    return out
