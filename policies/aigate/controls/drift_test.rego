package aigate.controls.drift_test

import rego.v1

import data.aigate.controls.drift
import data.aigate.testing as t

own_report := {"version": "1.4.0", "method": "psi", "threshold": 0.2, "features": {
	"amount": {"score": 0.05, "drifted": false},
	"country": {"score": 0.11, "drifted": false},
}}

evidently_report := {"metrics": [
	{"metric": "DatasetDriftMetric", "result": {"drift_share": 0.5}},
	{"metric": "DataDriftTable", "result": {"drift_by_columns": {
		"amount": {"column_name": "amount", "drift_detected": false, "drift_score": 0.04},
		"country": {"column_name": "country", "drift_detected": true, "drift_score": 0.31},
	}}},
]}

run_drift(mf, files, rep) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := drift.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := drift.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

test_pass_declared if {
	r := run_drift(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence_own_report if {
	r := run_drift(t.manifest, t.files, {"drift": own_report})
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_not_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/drift"}])
	d := run_drift(mf, t.files, null).deny
	count([f | some f in d; f.rule == "drift-not-declared"]) == 3
	not "no-key-features" in t.rule_names(d)
}

test_deny_empty_key_features if {
	mf := t.with_patch([{"op": "replace", "path": "/monitoring/drift/key_features", "value": []}])
	"no-key-features" in t.rule_names(run_drift(mf, t.files, null).deny)
}

test_deny_threshold_too_lax if {
	mf := t.with_patch([{"op": "replace", "path": "/monitoring/drift/threshold", "value": 0.5}])
	some f in run_drift(mf, t.files, null).deny
	f.rule == "threshold-too-lax"
	contains(f.msg, "0.5 is above the policy maximum 0.25")
}

test_deny_report_missing if {
	"drift-report-missing" in t.rule_names(run_drift(t.manifest, t.files_without("reports/drift.json"), null).deny)
}

test_warn_no_report_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/drift/report"}])
	"no-drift-report" in t.rule_names(run_drift(mf, t.files, null).warn)
}

test_deny_evidence_key_feature_drifted if {
	rep := json.patch(own_report, [{"op": "replace", "path": "/features/country", "value": {"score": 0.4, "drifted": true}}])
	some f in run_drift(t.manifest, t.files, {"drift": rep}).deny
	f.rule == "key-feature-drifted"
	contains(f.msg, "country drifted (score 0.4")
}

test_deny_evidence_key_feature_not_in_report if {
	rep := json.patch(own_report, [{"op": "remove", "path": "/features/amount"}])
	"key-feature-not-in-report" in t.rule_names(run_drift(t.manifest, t.files, {"drift": rep}).deny)
}

test_deny_evidence_evidently_report if {
	d := run_drift(t.manifest, t.files, {"drift": evidently_report}).deny
	t.rule_names(d) == {"key-feature-drifted"}
	some f in d
	contains(f.msg, "country")
}

test_warn_evidence_report_for_other_version if {
	rep := json.patch(own_report, [{"op": "replace", "path": "/version", "value": "1.3.2"}])
	"report-for-other-version" in t.rule_names(run_drift(t.manifest, t.files, {"drift": rep}).warn)
}

test_basis_declared_without_report if {
	mf := t.manifest
	drift.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_report if {
	mf := t.manifest
	rep := {"drift": own_report}
	drift.basis == "evidence" with input.manifest as mf with input.reports as rep
}
