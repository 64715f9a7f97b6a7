"""MON regression end to end, through real recorded bundles: release A of a committed copy of the
example project (classic metrics plus lm-evaluation-harness and promptfoo outputs) is checked,
signed and recorded by the real ``aigate check``; release B changes the model version and the
metrics, and is checked against A with ``--previous A`` and ``--bundles STORE``.

Every number the assertions expect is read from the files the test wrote (the metrics files,
the tools' own outputs, the organisation's policy data), never from aigate's output. The ML-BOM
of the recorded bundle carries the same metrics (cyclonedx-python-lib's strict validator).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aigate_cli import aigate, committed_copy, git
from registry_support import Registry, push_image

pytestmark = pytest.mark.slow  # real recorded `aigate check` runs (SBOM, environment, policies)

LLM = Path(__file__).parent / "llm"
PROJECT = Path("examples") / "fraud-detector"
LM_EVAL, PROMPTFOO = "reports/lm-eval-results.json", "reports/promptfoo-output.json"

REGRESSED = re.compile(
    r"^metric (?P<name>\S+) (?:regressed|\(lower is better\) rose) from (?P<old>\S+) \(previous release\) "
    r"to (?P<new>\S+), more than the allowed (?P<tol>[^;]+);"
)

_CDX_VALIDATE = """
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
print("VALID" if err is None else f"INVALID {err}")
"""


# --- independent readers of the files the test writes -------------------------------------------


def classic_metrics(project: Path) -> dict[str, float]:
    return {
        k: float(v) for k, v in json.loads((project / "reports/metrics.json").read_text())["metrics"].items()
    }


def lm_eval_metrics(project: Path) -> dict[str, float]:
    """lm-evaluation-harness results.json: ``task/metric`` (filter ``none``), ``task/metric@filter``."""
    out = {}
    for task, values in json.loads((project / LM_EVAL).read_text())["results"].items():
        for key, value in values.items():
            metric, _, filt = key.partition(",")
            if metric == "alias" or metric.endswith("_stderr"):
                continue
            out[f"{task}/{metric}" + ("" if filt == "none" else f"@{filt}")] = float(value)
    return out


def promptfoo_metrics(project: Path) -> dict[str, float]:
    """promptfoo ``eval -o``: pass rate from stats and the mean score per assertion type."""
    doc = json.loads((project / PROMPTFOO).read_text())["results"]
    stats = doc["stats"]
    out = {"promptfoo/pass_rate": stats["successes"] / (stats["successes"] + stats["failures"])}
    scores: dict[str, list[float]] = {}
    for row in doc["results"]:
        for comp in row["gradingResult"]["componentResults"]:
            label = comp["assertion"].get("metric") or comp["assertion"]["type"]
            scores.setdefault(label, []).append(comp["score"])
    out.update({f"promptfoo/{k}": sum(v) / len(v) for k, v in scores.items()})
    return out


def all_metrics(project: Path) -> dict[str, float]:
    return {**classic_metrics(project), **lm_eval_metrics(project), **promptfoo_metrics(project)}


def tolerance(org: Path, name: str) -> float:
    th = yaml.safe_load(org.read_text())["thresholds"]
    return float(th.get("metric_regression_tolerances", {}).get(name, th["metric_regression_tolerance"]))


def lower_is_better(org: Path) -> set[str]:
    """The organisation's list, or aigate's documented default list (aigate/data/default-policy-data.yaml)."""
    own = yaml.safe_load(org.read_text())["thresholds"].get("metrics_lower_is_better")
    return set(own) if own is not None else {"latency_p99_ms"}


def expected_regressions(org: Path, old: dict[str, float], new: dict[str, float]) -> set[tuple]:
    out = set()
    for name, before in old.items():
        if name not in new:
            continue
        worse = new[name] - before if name in lower_is_better(org) else before - new[name]
        if worse > tolerance(org, name):
            out.add((name, before, new[name], tolerance(org, name)))
    return out


# --- the releases ---------------------------------------------------------------------------------


def _set_version(project: Path, version: str) -> None:
    manifest = project / "aigate.yaml"
    text = manifest.read_text()
    old = next(line for line in text.splitlines() if line.startswith("  version: "))
    manifest.write_text(text.replace(old, f'  version: "{version}"', 1))


def _check(
    project: Path, org: Path, key: Path, bundle: Path, *history: object
) -> tuple[int, list[dict], Any]:
    run = aigate(
        "check",
        "-C",
        str(project),
        "--data",
        str(org),
        "--sign",
        f"key:{key}",
        "--verify-key",
        f"{key}.pub",
        "--bundle-dir",
        str(bundle),
        "--format",
        "json",
        *map(str, history),
    )
    assert run.returncode in (0, 1), run
    doc = json.loads(run.stdout)
    index = json.loads((bundle / "index.json").read_text())
    assert run.returncode == (0 if index["decision"] == "pass" else 1), run
    return run.returncode, [f for f in doc["findings"] if f["control"] == "MON"], run


@pytest.fixture(scope="module")
def release_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/: the git repository (release 1.4.0 committed), key ``k``, ``org.yaml`` (the bar, outside
    the release tree) and ``store/1.4.0`` (release A's recorded, signed bundle)."""
    base = tmp_path_factory.mktemp("mon-e2e")
    project = committed_copy("fraud-detector", base)
    shutil.copy(LLM / "lm-eval-results.json", project / LM_EVAL)
    shutil.copy(LLM / "promptfoo-output.json", project / PROMPTFOO)
    manifest = project / "aigate.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  metrics: reports/metrics.json\n",
            f"  metrics: reports/metrics.json\n  llm: [{LM_EVAL}, {PROMPTFOO}]\n",
        )
    )
    git(base, "add", "-A")
    git(base, "commit", "-qm", "release 1.4.0 with LLM evaluation outputs")
    org = base / "org.yaml"
    org.write_text(
        (project / "policy-data.yaml")
        .read_text()
        .replace(
            "  metric_regression_tolerances: {latency_p99_ms: 5}\n",
            "  metric_regression_tolerance: 0.01\n"
            '  metric_regression_tolerances: {latency_p99_ms: 5, "truthfulqa_mc2/acc": 0.02}\n',
        )
    )
    assert "truthfulqa_mc2/acc" in org.read_text()
    assert aigate("keygen", str(base / "k")).returncode == 0
    rc, mon, run = _check(project, org, base / "k", base / "store" / "1.4.0")
    assert rc == 0 and not [f for f in mon if f["severity"] == "deny"], run
    return base


@pytest.fixture
def release_b(release_a: Path, tmp_path: Path) -> Path:
    """A private copy of the repository and store at release A, for the test to make release B."""
    work = tmp_path / "w"
    shutil.copytree(release_a, work)
    return work


def _release(
    work: Path,
    version: str,
    metrics: dict[str, float],
    lm_eval: dict[tuple[str, str], float],
    promptfoo: dict[str, float],
) -> Path:
    """Release ``version``: metrics.json values, lm-eval ``(task, key)`` values and promptfoo scores per
    assertion type replaced, committed."""
    project = work / PROJECT
    _set_version(project, version)
    doc = json.loads((project / "reports/metrics.json").read_text())
    doc["version"] = version
    doc["metrics"].update(metrics)
    (project / "reports/metrics.json").write_text(json.dumps(doc, indent=2) + "\n")
    lm = json.loads((project / LM_EVAL).read_text())
    for (task, key), value in lm_eval.items():
        lm["results"][task][key] = value
    (project / LM_EVAL).write_text(json.dumps(lm, indent=2) + "\n")
    pf = json.loads((project / PROMPTFOO).read_text())
    for row in pf["results"]["results"]:
        for comp in row["gradingResult"]["componentResults"]:
            if comp["assertion"]["type"] in promptfoo:
                comp["score"] = promptfoo[comp["assertion"]["type"]]
    (project / PROMPTFOO).write_text(json.dumps(pf, indent=1) + "\n")
    git(work, "commit", "-qam", f"release {version}")
    return project


def _regressions(mon: list[dict]) -> set[tuple]:
    out = set()
    for f in mon:
        if f["severity"] == "deny" and f["rule"] == "metric-regression":
            m = REGRESSED.match(f["message"])
            assert m, f["message"]
            out.add((m["name"], float(m["old"]), float(m["new"]), float(m["tol"])))
    return out


def _close(a: set[tuple], b: set[tuple]) -> bool:
    """The same findings, numbers equal to printing precision (1e-9 relative)."""
    key = lambda s: sorted(s)  # noqa: E731
    return len(a) == len(b) and all(
        x[0] == y[0] and all(abs(p - q) <= 1e-9 * max(1.0, abs(q)) for p, q in zip(x[1:], y[1:], strict=True))
        for x, y in zip(key(a), key(b), strict=True)
    )


def test_regression_denies_naming_metric_old_new_and_tolerance(release_b: Path) -> None:
    work, org, key = release_b, release_b / "org.yaml", release_b / "k"
    old = all_metrics(work / PROJECT)
    project = _release(
        work,
        "1.5.0",
        {"auc": 0.925, "latency_p99_ms": 40},  # auc -0.022 (> 0.01); latency +9 ms (> 5)
        {("truthfulqa_mc2", "acc,none"): 0.5},  # -0.0412 (> 0.02)
        {"factuality": 0.5},  # promptfoo mean factuality falls
    )
    new = all_metrics(project)
    expected = expected_regressions(org, old, new)
    assert {e[0] for e in expected} == {"auc", "latency_p99_ms", "truthfulqa_mc2/acc", "promptfoo/factuality"}
    for history in (("--previous", work / "store" / "1.4.0"), ("--bundles", work / "store")):
        rc, mon, run = _check(project, org, key, work / "B", *history)
        assert rc == 1, run
        assert _close(_regressions(mon), expected), (history, _regressions(mon), expected)
        denies = {f["rule"] for f in mon if f["severity"] == "deny"}
        assert denies == {"metric-regression"}, (history, mon)


def test_changes_within_tolerance_pass_and_the_mlbom_carries_the_metrics(release_b: Path) -> None:
    work, org, key = release_b, release_b / "org.yaml", release_b / "k"
    old = all_metrics(work / PROJECT)
    project = _release(
        work,
        "1.5.0",
        {"auc": 0.940, "latency_p99_ms": 35},  # -0.007 (<= 0.01); +4 ms (<= 5)
        {("truthfulqa_mc2", "acc,none"): 0.53},  # -0.0112 (<= 0.02)
        {"factuality": 0.995},
    )
    new = all_metrics(project)
    assert expected_regressions(org, old, new) == set()
    assert new["auc"] < old["auc"] and new["truthfulqa_mc2/acc"] < old["truthfulqa_mc2/acc"]  # worse, within
    for history in (("--previous", work / "store" / "1.4.0"), ("--bundles", work / "store")):
        rc, mon, run = _check(project, org, key, work / "B", *history)
        assert rc == 0, run
        assert [f for f in mon if f["severity"] == "deny"] == [], mon
    # the recorded bundle verifies, and its ML-BOM's model component lists every metric
    assert aigate("verify", str(work / "B"), "--key", f"{key}.pub").returncode == 0
    sbom = work / "B" / "sbom.cdx.json"
    res = subprocess.run(
        [sys.executable, "-c", _CDX_VALIDATE, str(sbom)], capture_output=True, text=True, check=True
    )
    assert res.stdout.strip() == "VALID", res.stdout + res.stderr
    models = [c for c in json.loads(sbom.read_text())["components"] if c["type"] == "machine-learning-model"]
    assert models
    for comp in models:
        perf = comp["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
        got = {p["type"]: float(p["value"]) for p in perf}
        assert set(got) == set(new), sorted(set(got) ^ set(new))
        assert all(abs(got[k] - new[k]) <= 1e-12 for k in new), (got, new)


def test_a_previous_bundle_that_does_not_verify_fails_closed(release_b: Path) -> None:
    work, org, key = release_b, release_b / "org.yaml", release_b / "k"
    # the metrics fall well beyond tolerance: a silent skip of the regression check would pass
    old = all_metrics(work / PROJECT)
    project = _release(work, "1.5.0", {"auc": 0.91}, {}, {})
    assert {e[0] for e in expected_regressions(org, old, all_metrics(project))} == {"auc"}
    assert yaml.safe_load(org.read_text())["thresholds"]["metric_minimums"]["auc"] <= 0.91
    report = work / "store" / "1.4.0" / "report.md"
    report.write_text(report.read_text() + "\nedited after the release\n")
    for history, names in (
        (("--previous", work / "store" / "1.4.0"), ["store/1.4.0", "report.md"]),
        (("--bundles", work / "store"), ["bundle store", "report.md"]),
    ):
        rc, mon, run = _check(project, org, key, work / "B", *history)
        assert rc == 1, run
        unverified = [f for f in mon if f["severity"] == "deny" and f["rule"] == "previous-unverified"]
        assert len(unverified) == 1, mon
        assert all(n in unverified[0]["message"] for n in names), unverified
        assert "regression" in unverified[0]["message"]
    # the same release against the untouched bundle: the regression itself is what denies
    report.write_text(report.read_text().replace("\nedited after the release\n", ""))
    rc, mon, run = _check(project, org, key, work / "B", "--previous", work / "store" / "1.4.0")
    assert rc == 1 and {f["rule"] for f in mon if f["severity"] == "deny"} == {"metric-regression"}, run


def test_a_metric_dropped_since_the_previous_release_denies(release_b: Path) -> None:
    work, org, key = release_b, release_b / "org.yaml", release_b / "k"
    project = _release(work, "1.5.0", {}, {}, {})
    doc = json.loads((project / "reports/metrics.json").read_text())
    dropped = doc["metrics"].pop("precision")  # not required by the bar: only regression watches it
    (project / "reports/metrics.json").write_text(json.dumps(doc, indent=2) + "\n")
    assert "precision" not in yaml.safe_load(org.read_text())["thresholds"]["metric_minimums"]
    git(work, "commit", "-qam", "drop precision")
    rc, mon, run = _check(project, org, key, work / "B", "--previous", work / "store" / "1.4.0")
    assert rc == 1, run
    (f,) = [f for f in mon if f["severity"] == "deny"]
    assert f["rule"] == "metric-dropped" and "precision" in f["message"] and str(dropped) in f["message"]


def test_regression_against_an_oci_bundle_store(
    release_b: Path, plain_registry: Registry, tmp_path: Path
) -> None:
    """The same regression with the store in a real registry: release A is pushed as a referrer of
    the serving image, release B is checked with ``--bundles oci://REGISTRY/REPO``."""
    work, org, key = release_b, release_b / "org.yaml", release_b / "k"
    project = work / PROJECT
    store = f"oci://{plain_registry.host}/ml/fraud-detector"
    image = push_image(plain_registry, "ml/fraud-detector", "serving", tmp_path)
    manifest = project / "aigate.yaml"
    pinned = re.sub(
        r"(image: )\S+",
        rf"\g<1>{plain_registry.host}/ml/fraud-detector@{image}",
        manifest.read_text(),
        count=1,
    )
    manifest.write_text(pinned)
    git(work, "commit", "-qam", "serve from the test registry")
    old = all_metrics(project)
    rc, _, run = _check(project, org, key, work / "A-oci", "--push", store, "--plain-http")
    assert rc == 0, run
    project = _release(work, "1.5.0", {"recall": 0.805}, {("truthfulqa_mc2", "acc,none"): 0.51}, {})
    expected = expected_regressions(org, old, all_metrics(project))
    assert {e[0] for e in expected} == {"recall", "truthfulqa_mc2/acc"}
    rc, mon, run = _check(project, org, key, work / "B", "--bundles", store, "--plain-http")
    assert rc == 1, run
    assert _close(_regressions(mon), expected), (_regressions(mon), expected)
    assert {f["rule"] for f in mon if f["severity"] == "deny"} == {"metric-regression"}, mon
