package aigate.controls.mon_test

import rego.v1

import data.aigate.controls.mon
import data.aigate.testing as t

reports := {"metrics": {"metrics": {"auc": 0.95, "latency_p99_ms": 120}}, "drift": null, "alerts": null}

history := {"previous": {"version": "1.3.2", "verified": true, "metrics": {"metrics": {"auc": 0.951, "latency_p99_ms": 119.5}}}}

run_mon(mf, files, rep, hist) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := mon.deny with input.manifest as mf with input.files as files with input.reports as rep with input.history as hist with data.aigate.config as c
	w := mon.warn with input.manifest as mf with input.files as files with input.reports as rep with input.history as hist with data.aigate.config as c
}

test_pass_declared if {
	r := run_mon(t.manifest, t.files, null, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence_within_tolerance if {
	r := run_mon(t.manifest, t.files, reports, history)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_no_metrics_file if {
	mf := t.with_patch([{"op": "remove", "path": "/evaluation"}])
	"no-metrics-file" in t.rule_names(run_mon(mf, t.files, null, null).deny)
}

test_deny_metrics_file_missing if {
	"metrics-file-missing" in t.rule_names(run_mon(t.manifest, t.files_without("reports/metrics.json"), null, null).deny)
}

test_deny_evidence_below_minimum if {
	rep := json.patch(reports, [{"op": "replace", "path": "/metrics/metrics/auc", "value": 0.85}])
	some f in run_mon(t.manifest, t.files, rep, null).deny
	f.rule == "metric-below-minimum"
	contains(f.msg, "auc is 0.85")
	contains(f.msg, "at least 0.9")
}

test_deny_evidence_above_maximum if {
	rep := json.patch(reports, [{"op": "replace", "path": "/metrics/metrics/latency_p99_ms", "value": 200}])
	"metric-above-maximum" in t.rule_names(run_mon(t.manifest, t.files, rep, null).deny)
}

test_deny_evidence_required_metric_missing if {
	rep := json.patch(reports, [{"op": "remove", "path": "/metrics/metrics/auc"}])
	"metric-missing" in t.rule_names(run_mon(t.manifest, t.files, rep, null).deny)
}

test_deny_evidence_regression if {
	h := json.patch(history, [{"op": "replace", "path": "/previous/metrics/metrics/auc", "value": 0.97}])
	some f in run_mon(t.manifest, t.files, reports, h).deny
	f.rule == "metric-regression"
	contains(f.msg, "from 0.97")
}

test_deny_evidence_regression_lower_is_better if {
	h := json.patch(history, [{"op": "replace", "path": "/previous/metrics/metrics/latency_p99_ms", "value": 100}])
	some f in run_mon(t.manifest, t.files, reports, h).deny
	f.rule == "metric-regression"
	contains(f.msg, "lower is better")
}

test_pass_evidence_flat_metrics_file if {
	rep := {"metrics": {"auc": 0.95, "latency_p99_ms": 100}}
	count(run_mon(t.manifest, t.files, rep, null).deny) == 0
}

test_warn_evidence_empty_metrics if {
	rep := {"metrics": {"metrics": {}}}
	c := object.union(t.cfg, {"thresholds": {"metric_minimums": {}, "metric_maximums": {}}})
	mf := t.manifest
	files := t.files
	w := mon.warn with input.manifest as mf with input.files as files with input.reports as rep with input.history as null with data.aigate.config as c
	"metrics-empty" in t.rule_names(w)
}

test_basis_declared_without_metrics_report if {
	mf := t.manifest
	mon.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_metrics_report if {
	mf := t.manifest
	rep := reports
	mon.basis == "evidence" with input.manifest as mf with input.reports as rep
}

# A previous release whose bundle does not verify must not silently skip the regression check.
test_deny_previous_bundle_unverified if {
	h := {"previous": {"version": null, "verified": false, "bundle": "releases/1.3.2", "reason": "report.md: sha256 differs", "metrics": null}}
	some f in run_mon(t.manifest, t.files, reports, h).deny
	f.rule == "previous-unverified"
	contains(f.msg, "releases/1.3.2")
	contains(f.msg, "report.md: sha256 differs")
}

test_deny_bundle_store_chain_unverified if {
	h := {"previous": null, "chain": {"length": null, "verified": false, "reason": "gap before 1.3.2"}}
	some f in run_mon(t.manifest, t.files, reports, h).deny
	f.rule == "previous-unverified"
	contains(f.msg, "gap before 1.3.2")
}

test_pass_empty_store_first_release if {
	h := {"previous": null, "chain": {"length": 0, "verified": true, "reason": "empty store"}}
	r := run_mon(t.manifest, t.files, reports, h)
	count(r.deny) == 0
}

# Dropping a metric the previous release recorded would dodge the regression check.
test_deny_metric_dropped_since_previous if {
	h := json.patch(history, [{"op": "add", "path": "/previous/metrics/metrics/recall", "value": 0.8}])
	some f in run_mon(t.manifest, t.files, reports, h).deny
	f.rule == "metric-dropped"
	contains(f.msg, "recall")
	contains(f.msg, "0.8")
}

test_warn_previous_recorded_no_metrics if {
	h := {"previous": {"version": "1.3.2", "verified": true, "metrics": null}}
	r := run_mon(t.manifest, t.files, reports, h)
	count(r.deny) == 0
	"previous-no-metrics" in t.rule_names(r.warn)
}
