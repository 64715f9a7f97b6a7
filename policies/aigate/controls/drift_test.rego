package aigate.controls.drift_test

import rego.v1

import data.aigate.controls.drift
import data.aigate.testing as t

# Reports as the collector hands them over (aigate/ops/evidently.py normalises every shape).
own_report := {"format": "aigate-drift/1", "version": "1.4.0", "features": {
	"amount": {"method": "psi", "score": 0.05, "threshold": 0.2, "drifted": false},
	"country": {"method": "psi", "score": 0.11, "threshold": 0.2, "drifted": false},
}}

evidently_report := {"format": "evidently-legacy", "version": null, "features": {
	"amount": {"method": "wasserstein", "method_name": "Wasserstein distance (normed)", "score": 0.04, "threshold": 0.1, "drifted": false},
	"country": {"method": "jensenshannon", "method_name": "Jensen-Shannon distance", "score": 0.31, "threshold": 0.1, "drifted": true},
}}

snapshot_report := {"format": "evidently-0.7", "version": null, "features": {
	"amount": {"method": "ks", "method_name": "K-S p_value", "score": 0.3, "threshold": 0.05, "drifted": null},
	"country": {"method": "chisquare", "method_name": "chi-square p_value", "score": 0.0001, "threshold": 0.05, "drifted": null},
}}

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
	rep := json.patch(own_report, [{"op": "replace", "path": "/features/country", "value": {"method": "psi", "score": 0.4, "drifted": true}}])
	d := run_drift(t.manifest, t.files, {"drift": rep}).deny
	t.rule_names(d) == {"key-feature-drifted"}
	some f in d
	contains(f.msg, "country drifted (psi 0.4, threshold 0.2)")
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

# issue 10 #4: the report's own flag is a claim; the verdict is recomputed from score and threshold.
test_deny_flag_says_not_drifted_but_score_does if {
	rep := json.patch(own_report, [{"op": "replace", "path": "/features/amount", "value": {"method": "psi", "score": 0.93, "threshold": 0.2, "drifted": false}}])
	d := run_drift(t.manifest, t.files, {"drift": rep}).deny
	t.rule_names(d) == {"key-feature-drifted", "drift-flag-disagrees"}
	some f in d
	f.rule == "drift-flag-disagrees"
	contains(f.msg, "says key feature amount drifted=false, but its score (psi 0.93) against threshold 0.2 gives drifted=true")
}

test_deny_flag_says_drifted_but_score_does_not if {
	rep := json.patch(own_report, [{"op": "replace", "path": "/features/amount/drifted", "value": true}])
	t.rule_names(run_drift(t.manifest, t.files, {"drift": rep}).deny) == {"drift-flag-disagrees"}
}

test_policy_data_threshold_overrides_the_reports if {
	mf := t.manifest
	files := t.files
	rep := {"drift": own_report}
	c := object.union(t.cfg, {"drift": {"thresholds": {"psi": 0.1}}})
	d := drift.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	some f in d
	f.rule == "key-feature-drifted"
	contains(f.msg, "country drifted (psi 0.11, threshold 0.1)")
}

test_p_values_drift_below_the_threshold if {
	d := run_drift(t.manifest, t.files, {"drift": snapshot_report}).deny
	t.rule_names(d) == {"key-feature-drifted"}
	some f in d
	contains(f.msg, "country drifted (chisquare 0.0001, threshold 0.05)")
}

test_deny_unknown_method_or_missing_score if {
	rep := json.patch(own_report, [{"op": "replace", "path": "/features/amount", "value": {"method": null, "method_name": "my test", "score": 0.01, "drifted": false}}])
	"drift-score-unusable" in t.rule_names(run_drift(t.manifest, t.files, {"drift": rep}).deny)
}

test_deny_unrecognised_report if {
	rep := {"format": "unknown", "file": "reports/drift.json", "features": {}}
	t.rule_names(run_drift(t.manifest, t.files, {"drift": rep}).deny) == {"drift-report-unrecognised"}
}

