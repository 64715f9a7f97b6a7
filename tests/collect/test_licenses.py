"""SPDX license evaluation: OR, AND, WITH, LicenseRef-, classifier-only, unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aigate.collect.licenses import LicensesCollector, Lists, evaluate_expression, parse_spdx

LISTS = {
    "allow": ["MIT", "Apache-2.0", "BSD-3-Clause", "LicenseRef-Acme-Internal"],
    "deny": ["AGPL-3.0-only"],
    "review": ["GPL-2.0-only", "GPL-3.0-only"],
    "unknown": "review",
}


@pytest.mark.parametrize(
    ("expression", "verdict"),
    [
        ("MIT", "allow"),
        ("mit", "allow"),  # SPDX ids are case-insensitive
        ("MIT OR GPL-3.0-only", "allow"),  # any allowed alternative
        ("AGPL-3.0-only OR Apache-2.0", "allow"),
        ("Apache-2.0 AND GPL-3.0-only", "review"),  # every part must be allowed
        ("Apache-2.0 AND AGPL-3.0-only", "deny"),  # the string-matching bypass of pip-licenses
        ("(MIT AND AGPL-3.0-only) OR GPL-3.0-only", "review"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "review"),  # judged by its base license
        ("AGPL-3.0-only WITH Classpath-exception-2.0", "deny"),
        ("LicenseRef-Acme-Internal", "allow"),
        ("LicenseRef-Other", "unknown"),
        ("MPL-2.0", "unknown"),  # a real SPDX id on no list
    ],
)
def test_expression_semantics(expression: str, verdict: str) -> None:
    parsed = parse_spdx(expression)
    assert parsed is not None
    assert evaluate_expression(parsed, Lists(LISTS), []) == verdict


def test_with_exception_listed_exactly_wins() -> None:
    lists = Lists({**LISTS, "allow": [*LISTS["allow"], "GPL-2.0-only WITH Classpath-exception-2.0"]})
    parsed = parse_spdx("GPL-2.0-only WITH Classpath-exception-2.0")
    assert evaluate_expression(parsed, lists, []) == "allow"


def test_not_spdx() -> None:
    assert parse_spdx("MIT License") is None
    assert parse_spdx("Some Proprietary Thing v2") is None
    assert parse_spdx("Copyright (c) 2020 ACME\nPermission is hereby granted") is None


def test_collector_over_real_dist_info(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    dist_writer(site, "pep639", "1.0", {"License-Expression": "Apache-2.0 AND AGPL-3.0-only"})
    dist_writer(site, "legacy-field", "1.0", {"License": "BSD-3-Clause"})
    dist_writer(site, "either", "1.0", {"License-Expression": "MIT OR GPL-3.0-only"})
    dist_writer(site, "excepted", "1.0", {"License-Expression": "GPL-2.0-only WITH Classpath-exception-2.0"})
    dist_writer(site, "internal", "1.0", {"License-Expression": "LicenseRef-Acme-Internal"})
    dist_writer(site, "classifier-only", "1.0", {"Classifier": "License :: OSI Approved :: MIT License"})
    dist_writer(
        site,
        "classifier-agpl",
        "1.0",
        {"Classifier": "License :: OSI Approved :: GNU Affero General Public License v3"},
    )
    dist_writer(
        site,
        "freetext",
        "1.0",
        {"License": "MIT License", "Classifier": "License :: OSI Approved :: MIT License"},
    )
    dist_writer(site, "classifier-bsd", "1.0", {"Classifier": "License :: OSI Approved :: BSD License"})
    dist_writer(
        site,
        "classifier-dual",
        "1.0",
        {"Classifier": ["License :: OSI Approved :: BSD License", "License :: OSI Approved :: MIT License"]},
    )
    dist_writer(site, "classifier-proprietary", "1.0", {"Classifier": "License :: Other/Proprietary License"})
    dist_writer(site, "nothing", "1.0")
    ctx = make_ctx({}, python=str(venv), policy_data={"licenses": LISTS})
    ev = LicensesCollector().collect(ctx)
    lic = ev.data["licenses"]
    records = {r["name"]: r for r in json.loads(ev.files["licenses.json"])["packages"]}
    verdicts = {n: (r["verdict"], r["source"]) for n, r in records.items()}
    assert verdicts == {
        "classifier-agpl": ("deny", "classifier"),
        "classifier-only": ("allow", "classifier"),  # names exactly one license: MIT
        "classifier-bsd": ("review", "classifier"),  # which BSD? ambiguous: review
        "classifier-dual": ("allow", "classifier"),  # MIT is an allowed alternative
        "classifier-proprietary": ("review", "classifier"),
        "either": ("allow", "license-expression"),
        "excepted": ("review", "license-expression"),
        "freetext": ("allow", "classifier"),  # "MIT License" is no SPDX id; the classifier is
        "internal": ("allow", "license-expression"),
        "legacy-field": ("allow", "license-field"),
        "nothing": ("review", "none"),
        "pep639": ("deny", "license-expression"),
    }
    assert lic["summary"] == {"allow": 6, "deny": 2, "review": 4, "unknown": 1}
    assert records["classifier-only"]["expression"] == "MIT"
    assert "BSD License" in records["classifier-bsd"]["reason"]
    assert [u["name"] for u in lic["unknown"]] == ["nothing"]
    assert {d["name"] for d in lic["denied"]} == {"pep639", "classifier-agpl"}
    assert lic["checked"] == lic["total"] == 12
    assert "AGPL-3.0-only is on the deny list" in records["pep639"]["reason"]


def test_policy_data_can_distrust_classifiers(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    dist_writer(site, "classifier-only", "1.0", {"Classifier": "License :: OSI Approved :: MIT License"})
    dist_writer(
        site,
        "classifier-agpl",
        "1.0",
        {"Classifier": "License :: OSI Approved :: GNU Affero General Public License v3"},
    )
    ctx = make_ctx({}, python=str(venv), policy_data={"licenses": {**LISTS, "trust_classifiers": False}})
    records = {
        r["name"]: r for r in json.loads(LicensesCollector().collect(ctx).files["licenses.json"])["packages"]
    }
    assert records["classifier-only"]["verdict"] == "review"
    assert "trust_classifiers" in records["classifier-only"]["reason"]
    assert records["classifier-agpl"]["verdict"] == "deny"  # a denied license denies whatever the trust


def test_unknown_can_be_denied_by_policy(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    dist_writer(site, "odd", "1.0", {"License-Expression": "MPL-2.0"})
    ctx = make_ctx({}, python=str(venv), policy_data={"licenses": {**LISTS, "unknown": "deny"}})
    dist_writer(site, "bare", "1.0")
    lic = LicensesCollector().collect(ctx).data["licenses"]
    assert lic["summary"]["deny"] == 2 and lic["summary"]["unknown"] == 2
    assert {d["name"] for d in lic["denied"]} == {"odd", "bare"}


def test_license_texts_into_the_bundle(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    d = dist_writer(site, "texts", "1.0", {"License-Expression": "MIT", "License-File": "LICENSE"})
    (d / "licenses").mkdir()
    (d / "licenses" / "LICENSE").write_text("MIT License text\n")
    (d / "NOTICE").write_text("notice\n")
    ev = LicensesCollector().collect(make_ctx({}, python=str(venv), options={"license_texts": True}))
    assert ev.files["licenses/texts-1.0/LICENSE"] == b"MIT License text\n"
    assert ev.files["licenses/texts-1.0/NOTICE"] == b"notice\n"


def test_model_license_from_the_manifest(make_ctx: Any, fresh_venv: tuple[Path, Path]) -> None:
    venv, _site = fresh_venv
    ok = (
        LicensesCollector()
        .collect(
            make_ctx(
                {"model": {"name": "m", "version": "1", "license": "Apache-2.0"}},
                python=str(venv),
                policy_data={"licenses": LISTS},
            )
        )
        .data["licenses"]
    )
    assert ok["model"]["verdict"] == "allow" and ok["denied"] == []
    bad = (
        LicensesCollector()
        .collect(
            make_ctx(
                {"model": {"name": "m", "version": "1", "license": "CC-BY-NC-4.0 AND AGPL-3.0-only"}},
                python=str(venv),
                policy_data={"licenses": LISTS},
            )
        )
        .data["licenses"]
    )
    assert bad["model"]["verdict"] == "deny"
    assert bad["denied"][0]["name"] == "model m" and bad["denied"][0]["source"] == "manifest"
