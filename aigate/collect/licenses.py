"""License collector (LICENSE): ``input.dependencies.licenses`` and ``licenses.json``.

Each installed distribution's license is resolved to an SPDX expression and evaluated
*as an expression* (``license-expression``) against the organisation's allow/deny/review
lists from policy data: ``OR`` passes when any alternative is allowed, ``AND`` only when
every part is, ``X WITH exception`` is judged by its exact listing or else by ``X`` (an
exception only adds permissions). String matching — what ``pip-licenses --allow-only
--partial-match`` does — would let ``Apache-2.0 AND GPL-3.0-only`` through; it is not used.

Where the license comes from matters: a PEP 639 ``License-Expression`` or an SPDX-valid
``License`` field is evaluated; a package known only by its trove classifiers goes to
**review** (a classifier such as "BSD License" does not say which BSD), never to allow;
a package with no license information, or naming only licenses on no list, is **unknown**:
policy data (`licenses.unknown`) sends it to review or deny, and it is counted in `summary.unknown`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from aigate.collect import _pyenv
from aigate.collect.environment import to_json_bytes
from aigate.collect.interface import CollectContext, Collector, Evidence

#: how many entries of each list (denied, review, unknown) the policy input carries
INPUT_LIST_CAP = 100

#: verdict ranks: AND takes the worst part, OR the best alternative
_RANK = {"allow": 0, "review": 1, "unknown": 2, "deny": 3}
_BY_RANK = {v: k for k, v in _RANK.items()}

#: trove classifiers that name exactly one license -> its SPDX id. Only unambiguous ones: plain
#: "BSD License" (which BSD?), "GNU General Public License (GPL)" (which version?), "Public Domain"
#: and "Other/Proprietary License" are not here and always go to review. The Apache classifier
#: names no version; PyPI has no Apache-1.x projects in use, so it is read as Apache-2.0.
CLASSIFIER_SPDX = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "License :: OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",
    "License :: OSI Approved :: University of Illinois/NCSA Open Source License": "NCSA",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}


@functools.lru_cache(maxsize=1)
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def parse_spdx(text: str) -> Any | None:
    """The parsed expression when ``text`` is a valid SPDX expression (``LicenseRef-`` allowed), else None."""
    text = text.strip()
    if not text or "\n" in text or len(text) > 500:
        return None
    lic = _licensing()
    try:
        expr = lic.parse(text, validate=False, strict=False)
    except Exception:  # license-expression raises several ExpressionError kinds
        return None
    if expr is None:
        return None
    unknown = [
        k for k in lic.unknown_license_keys(expr) if not str(k).startswith(("LicenseRef-", "DocumentRef-"))
    ]
    return None if unknown else expr


class Lists:
    """The organisation's lists, case-insensitive, from ``data.aigate.config.licenses``."""

    def __init__(self, config: dict[str, Any] | None):
        config = config or {}
        self.allow = {str(x).lower() for x in config.get("allow") or []}
        self.deny = {str(x).lower() for x in config.get("deny") or []}
        self.review = {str(x).lower() for x in config.get("review") or []}
        unknown = str(config.get("unknown") or "review")
        self.unknown = unknown if unknown in ("review", "deny") else "review"
        self.trust_classifiers = config.get("trust_classifiers", True) is not False

    def lookup(self, key: str) -> str | None:
        k = key.lower()
        if k in self.deny:
            return "deny"
        if k in self.allow:
            return "allow"
        if k in self.review:
            return "review"
        return None


def _symbol_verdict(sym: Any, lists: Lists, reasons: list[str]) -> str:
    from license_expression import LicenseWithExceptionSymbol

    full = str(sym.render("{symbol.key}") if hasattr(sym, "render") else sym)
    found = lists.lookup(full)
    if found is None and isinstance(sym, LicenseWithExceptionSymbol):
        base = str(sym.license_symbol.key)
        found = lists.lookup(base)
        if found is not None:
            reasons.append(f"{full}: judged by {base} ({found})")
            return found
    if found is None:
        reasons.append(f"{full} is on no list")
        return "unknown"
    if found != "allow":
        reasons.append(f"{full} is on the {found} list")
    return found


def evaluate_expression(expr: Any, lists: Lists, reasons: list[str]) -> str:
    """allow/review/unknown/deny for a parsed expression: AND = worst part, OR = best alternative."""
    from license_expression import AND, OR

    if isinstance(expr, (AND, OR)):
        ranks = [_RANK[evaluate_expression(a, lists, reasons)] for a in expr.args]
        return _BY_RANK[max(ranks) if isinstance(expr, AND) else min(ranks)]
    return _symbol_verdict(expr, lists, reasons)


def _judge_classifiers(classifiers: list[str], lists: Lists, reasons: list[str]) -> tuple[str, str]:
    """(verdict, expression) for a package known only by its trove classifiers.

    Each classifier that names exactly one license becomes its SPDX id; several classifiers are
    alternatives (OR), as packages list them for dual licensing. One ambiguous classifier sends
    the package to review unless another alternative is allowed; a denied license always denies.
    """
    ids = [CLASSIFIER_SPDX.get(c) for c in classifiers]
    known = sorted({i for i in ids if i})
    vague = sorted({c.rsplit(" :: ", 1)[-1] for c, i in zip(classifiers, ids, strict=True) if i is None})
    expression = " OR ".join(known + [f"LicenseRef-classifier-{v.replace(' ', '-')}" for v in vague])
    verdicts = [lists.lookup(i) or "unknown" for i in known]
    denied = [i for i, v in zip(known, verdicts, strict=True) if v == "deny"]
    if denied:
        reasons.append(f"classifier names a denied license ({', '.join(denied)})")
        return "deny", expression
    if not lists.trust_classifiers:
        reasons.append(
            "license known only from trove classifiers (policy data licenses.trust_classifiers: false)"
        )
        return "review", expression
    if "allow" in verdicts:
        return "allow", expression
    if vague:
        reasons.append(f"classifier does not name one license ({', '.join(vague)})")
    if "review" in verdicts:
        reasons.append("classifier names a license that needs review")
    elif not vague:
        reasons.append(f"classifier names a license on no list; unlisted licenses go to {lists.unknown}")
        return lists.unknown, expression
    return "review", expression


def judge(dist: _pyenv.Dist, lists: Lists) -> dict[str, Any]:
    """One package's license record: expression, where it came from, verdict and why."""
    reasons: list[str] = []
    unknown = False  # no license information, or an expression naming only unlisted licenses
    expression = dist.first("License-Expression")
    source = "license-expression"
    parsed = parse_spdx(expression) if expression else None
    if parsed is None:
        field = dist.first("License")
        parsed = parse_spdx(field) if field else None
        source = "license-field" if parsed is not None else source
    classifiers = sorted(c for c in dist.metadata.get("classifier", []) if c.startswith("License ::"))
    if parsed is not None:
        verdict = evaluate_expression(parsed, lists, reasons)
        expression = str(parsed)
        if verdict == "allow":
            reasons = []  # an allowed alternative makes the others irrelevant
        elif verdict == "unknown":
            unknown = True
            verdict = lists.unknown
            reasons.append(f"unlisted licenses go to {lists.unknown}")
    elif classifiers:
        source = "classifier"
        verdict, expression = _judge_classifiers(classifiers, lists, reasons)
    else:
        source = "none"
        expression = None
        verdict = lists.unknown
        reasons.append(f"no license metadata; unknown licenses go to {lists.unknown}")
    return {
        "name": dist.name,
        "version": dist.version,
        "expression": expression,
        "source": source,
        "classifiers": classifiers,
        "verdict": verdict,
        "unknown": unknown or source == "none",
        "reason": "; ".join(dict.fromkeys(reasons)) if reasons else "allowed",
    }


def _model_license(model: dict[str, Any], lists: Lists) -> dict[str, Any]:
    """The model's license (``model.license`` in the manifest), evaluated like a package's."""
    text = str(model["license"])
    reasons: list[str] = []
    parsed = parse_spdx(text)
    if parsed is None:
        verdict, unknown = lists.unknown, True
        reasons.append(
            f"model.license {text!r} is not an SPDX expression; unknown licenses go to {lists.unknown}"
        )
    else:
        verdict = evaluate_expression(parsed, lists, reasons)
        unknown = verdict == "unknown"
        if verdict == "allow":
            reasons = []
        elif unknown:
            verdict = lists.unknown
            reasons.append(f"unlisted licenses go to {lists.unknown}")
    return {
        "name": f"model {model.get('name') or ''}".strip(),
        "version": str(model.get("version") or ""),
        "expression": str(parsed) if parsed is not None else text,
        "source": "manifest",
        "verdict": verdict,
        "unknown": unknown,
        "reason": "; ".join(dict.fromkeys(reasons)) if reasons else "allowed",
    }


def _license_texts(dists: list[_pyenv.Dist]) -> dict[str, bytes]:
    """License and NOTICE files shipped in dist-info (PEP 639 ``License-File`` and common names)."""
    files: dict[str, bytes] = {}
    for d in dists:
        if not d.location:
            continue
        base = Path(d.location)
        names = set(d.license_files)
        for p in (base, base / "licenses"):
            if p.is_dir():
                for f in p.iterdir():
                    if f.is_file() and f.name.upper().startswith(
                        ("LICENSE", "LICENCE", "NOTICE", "COPYING", "AUTHORS")
                    ):
                        names.add(os.path.relpath(f, base if p == base else base / "licenses"))
        for n in sorted(names):
            for cand in (base / "licenses" / n, base / n):
                if cand.is_file() and cand.resolve().is_relative_to(base.resolve()):
                    files[f"licenses/{d.normalized}-{d.version}/{Path(n).as_posix()}"] = _license_text(cand)
                    break
    return files


#: a license or NOTICE text larger than this is not copied into the bundle (the largest real
#: ones are tens of KiB); a placeholder says so, so the read is bounded before it allocates
LICENSE_TEXT_MAX = 1 << 20


def _license_text(path: Path) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(LICENSE_TEXT_MAX + 1)
    if len(data) > LICENSE_TEXT_MAX:
        size = path.stat().st_size
        return f"[not copied: {size} bytes is over the {LICENSE_TEXT_MAX}-byte cap for a license text]\n".encode()
    return data


def collect_licenses(ctx: CollectContext) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(``{"licenses": ...}`` for ``input.dependencies``, bundle files)."""
    _interp, dists = _pyenv.inspect(ctx.python)
    lists = Lists((ctx.policy_data or {}).get("licenses"))
    records = [judge(d, lists) for d in dists]
    summary = {"allow": 0, "deny": 0, "review": 0, "unknown": 0}
    for r in records:
        summary[r["verdict"]] += 1
        summary["unknown"] += 1 if r["unknown"] else 0  # a subset of review/deny

    def pick(v: str) -> list[dict[str, Any]]:
        return [
            {k: r[k] for k in ("name", "version", "expression", "reason", "source")}
            for r in records
            if r["verdict"] == v
        ]

    model = (ctx.manifest or {}).get("model")
    model_record = _model_license(model, lists) if isinstance(model, dict) and model.get("license") else None
    data: dict[str, Any] = {
        "summary": summary,
        "denied": pick("deny"),
        "review": pick("review"),
        "unknown": [
            {k: r[k] for k in ("name", "version", "expression", "reason", "source", "verdict")}
            for r in records
            if r["unknown"]
        ],
        "checked": len(records),
        "total": len(dists),
        "model": model_record,
    }
    if model_record is not None and model_record["verdict"] in ("deny", "review"):
        # the model's own license is judged like a package's, so the LICENSE control lists it
        key = "denied" if model_record["verdict"] == "deny" else "review"
        data[key].insert(
            0, {k: model_record[k] for k in ("name", "version", "expression", "reason", "source")}
        )
    # policies see at most INPUT_LIST_CAP entries per list plus the full counts; every record is
    # in licenses.json (a 5,000-package environment must not slow every evaluation)
    for key in ("denied", "review", "unknown"):
        data[f"{key}_count"] = len(data[key])
        data[key] = data[key][:INPUT_LIST_CAP]
    files = {
        "licenses.json": to_json_bytes(
            {"format": "aigate-licenses/1", "packages": records, "summary": summary}
        )
    }
    if ctx.options.get("license_texts"):
        files.update(_license_texts(dists))
    return {"licenses": data}, files


class LicensesCollector(Collector):
    """``input.dependencies.licenses`` and ``licenses.json``."""

    key = "dependencies"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path")
        data, files = collect_licenses(ctx)
        return Evidence(self.key, data, files=files)
