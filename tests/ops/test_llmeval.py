"""LLM evaluation evidence for MON: lm-evaluation-harness ``results.json`` and promptfoo's
``eval -o`` JSON gate on policy-data thresholds (hallucination / faithfulness metrics), through the
real ``aigate check`` on a committed copy of the example project; and regression against the
previous release's metrics, through the collector and the built-in library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aigate_cli import check_json, committed_copy, git

LLM = Path(__file__).parent / "llm"


def _project(tmp_path: Path, minimums: str, promptfoo: dict | None = None) -> Path:
    project = committed_copy("fraud-detector", tmp_path)
    shutil.copy(LLM / "lm-eval-results.json", project / "reports" / "lm-eval-results.json")
    doc = promptfoo or json.loads((LLM / "promptfoo-output.json").read_text())
    (project / "reports" / "promptfoo-output.json").write_text(json.dumps(doc))
    manifest = project / "aigate.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  metrics: reports/metrics.json\n",
            "  metrics: reports/metrics.json\n  llm: [reports/lm-eval-results.json, reports/promptfoo-output.json]\n",
        )
    )
    data = tmp_path / "org-policy-data.yaml"  # the organisation's bar, outside the release's tree
    data.write_text(
        (project / "policy-data.yaml").read_text().replace(
            "metric_minimums: {auc: 0.90, recall: 0.80}",
            f"metric_minimums: {{auc: 0.90, recall: 0.80, {minimums}}}",
        )
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "llm evals")
    return project


def _mon(project: Path) -> tuple[int, list[dict]]:
    code, doc = check_json(project, data=project.parents[1] / "org-policy-data.yaml")
    return code, [f for f in doc["findings"] if f["control"] == "MON" and f["severity"] == "deny"]


def test_thresholds_met_pass(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        '"promptfoo/context-faithfulness": 0.85, "truthfulqa_mc2/acc": 0.5, "promptfoo/factuality": 0.8',
    )
    rc, denies = _mon(project)
    assert denies == [] and rc == 0


def test_low_faithfulness_and_truthfulness_deny(tmp_path: Path) -> None:
    doc = json.loads((LLM / "promptfoo-output.json").read_text())
    for row in doc["results"]["results"]:
        row["gradingResult"]["componentResults"][0]["score"] = 0.5  # context-faithfulness
    project = _project(tmp_path, '"promptfoo/context-faithfulness": 0.85, "truthfulqa_mc2/acc": 0.6', doc)
    rc, denies = _mon(project)
    msgs = sorted(f["message"] for f in denies)
    assert rc == 1
    assert [m.split(";")[0] for m in msgs] == [
        "metric promptfoo/context-faithfulness is 0.5",
        "metric truthfulqa_mc2/acc is 0.5412",
    ], msgs


def test_required_llm_metric_missing_denies(tmp_path: Path) -> None:
    project = _project(tmp_path, '"promptfoo/answer-relevance": 0.7')
    _, denies = _mon(project)
    assert [f["rule"] for f in denies] == ["metric-missing"]
    assert "promptfoo/answer-relevance" in denies[0]["message"]


def test_regression_against_the_previous_release(tmp_path: Path) -> None:
    from policies.conftest import evaluate_library  # the built-in library on regopy

    from aigate.collect.reports import evaluation_metrics

    root = tmp_path / "p"
    (root / "reports").mkdir(parents=True)
    shutil.copy(LLM / "promptfoo-output.json", root / "reports" / "old.json")
    doc = json.loads((LLM / "promptfoo-output.json").read_text())
    for row in doc["results"]["results"]:
        row["gradingResult"]["componentResults"][1]["score"] = 0.5  # factuality falls 0.8 -> 0.5
    (root / "reports" / "new.json").write_text(json.dumps(doc))
    (root / "reports" / "m.json").write_text('{"metrics": {"auc": 0.95}}')
    old = evaluation_metrics(root, "reports/m.json", ["reports/old.json"])
    new = evaluation_metrics(root, "reports/m.json", ["reports/new.json"])
    assert old is not None and new is not None
    controls = evaluate_library(
        {
            "manifest": {"evaluation": {"metrics": "reports/m.json"}},
            "reports": {"metrics": new},
            "history": {"previous": {"verified": True, "metrics": old}},
        }
    )
    regress = [f for f in controls["mon"]["deny"] if f["rule"] == "metric-regression"]
    assert [f["msg"] for f in regress] == [
        "metric promptfoo/factuality regressed from 0.8 (previous release) to 0.5, more than the allowed 0.01; "
        "fix the regression or record an approved waiver"
    ]


@pytest.mark.parametrize(
    "doc,kind", [({"metrics": {"auc": 0.9}}, "generic"), ({"auc": 0.9}, "generic"), ([1, 2], "unknown")]
)
def test_generic_shapes(doc: object, kind: str) -> None:
    from aigate.ops.llmeval import normalise_metrics

    assert normalise_metrics(doc)["format"] == kind
