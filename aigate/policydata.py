"""Policy data: the organisation's settings (required levels, approvers, licenses, thresholds, waivers).

Policy data never comes from the manifest the release's authors edit. The built-in defaults ship
with aigate; each ``--data FILE`` is deep-merged over them in order (mappings merge, everything
else replaces), then the result is validated against ``policy-data.schema.json``. The policies see
it as ``data.aigate.config``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position
from aigate.findings import Basis, Finding, Severity
from aigate.schemas import validate_document
from aigate.yamlload import Document, Limits, load_file, load_yaml_documents

DATA_LIMITS = Limits(max_bytes=4 * 1024 * 1024)


@dataclass(frozen=True)
class DataSource:
    file: str
    sha256: str


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


def load_policy_data(files: list[str] | tuple[str, ...]) -> PolicyData:
    base = default_data()
    merged: dict[str, Any] = base.data
    sources = [DataSource("<built-in>", "")]
    docs = [base]
    for name in files:
        path = Path(name)
        docs_in = load_file(path, limits=DATA_LIMITS, what="policy data file", display=name)
        if len(docs_in) != 1 or not isinstance(docs_in[0].data, dict):
            raise InputError("policy data must be one YAML/JSON mapping", position=Position(name, 1, 1))
        doc = docs_in[0]
        kind = doc.data.get("kind", "PolicyData")
        if kind != "PolicyData":
            raise InputError(f"unknown kind {kind!r}; expected 'PolicyData'", position=doc.position("/kind"))
        # validate each file on its own so errors point into the file that has them
        validate_document(doc, "policy-data.schema.json", "policy data")
        merged = deep_merge(merged, doc.data)
        sources.append(DataSource(name, hashlib.sha256(path.read_bytes()).hexdigest()))
        docs.append(doc)
    validate_document(Document(merged, {}, "<merged policy data>"), "policy-data.schema.json", "policy data")
    return PolicyData(merged, tuple(sources), tuple(docs))


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
