"""DRIFT through the real ``aigate check`` on a committed copy of the example project: the verdict is
recomputed from the report's scores (aigate's own, Evidently's legacy ``as_dict`` and 0.7
snapshot), never taken from the report's own flag (issue 10, finding 4)."""

from __future__ import annotations

import json
from pathlib import Path

from aigate_cli import check_json, committed_copy, git

EV = Path(__file__).parent / "evidently"


def _check_with_report(
    tmp_path: Path, report: object, features: list[str] | None = None
) -> tuple[int, list[dict]]:
    project = committed_copy("fraud-detector", tmp_path)
    (project / "reports" / "drift.json").write_text(json.dumps(report))
    if features is not None:
        manifest = (project / "aigate.yaml").read_text()
        manifest = manifest.replace(
            "key_features: [amount, merchant_category, country_risk]",
            f"key_features: [{', '.join(features)}]",
        )
        (project / "aigate.yaml").write_text(manifest)
    git(tmp_path, "commit", "-qam", "new drift report")
    code, doc = check_json(project, data=project / "policy-data.yaml")
    return code, [f for f in doc["findings"] if f["control"] == "DRIFT" and f["severity"] == "deny"]


def test_own_flag_false_with_a_drifting_score_is_denied(tmp_path: Path) -> None:
    report = json.loads(
        (Path(__file__).parents[2] / "examples/fraud-detector/reports/drift.json").read_text()
    )
    report["features"]["amount"] = {"score": 0.93, "drifted": False}  # PSI 0.93 against 0.2
    _, denies = _check_with_report(tmp_path, report)
    rules = {f["rule"] for f in denies}
    assert rules == {"key-feature-drifted", "drift-flag-disagrees"}, denies
    msg = next(f["message"] for f in denies if f["rule"] == "drift-flag-disagrees")
    assert (
        "amount drifted=false" in msg
        and "psi 0.93" in msg
        and "threshold 0.2" in msg
        and "drifted=true" in msg
    )


def test_evidently_legacy_report_is_recomputed(tmp_path: Path) -> None:
    report = json.loads((EV / "large-legacy.json").read_text())
    _, denies = _check_with_report(tmp_path, report, ["age", "channel", "amount"])
    assert [(f["rule"], "amount" in f["message"]) for f in denies] == [("key-feature-drifted", True)], denies


def test_evidently_snapshot_without_flags_is_judged_from_its_p_values(tmp_path: Path) -> None:
    report = json.loads((EV / "small-snapshot-0.7.json").read_text())
    rc, denies = _check_with_report(tmp_path, report, ["age", "flag"])
    assert denies == [] and rc == 0
    _, denies = _check_with_report(tmp_path / "second", report, ["age", "country"])
    assert [f["rule"] for f in denies] == ["key-feature-drifted"]
    assert "country drifted (chisquare" in denies[0]["message"]
