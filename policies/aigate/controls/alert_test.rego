package aigate.controls.alert_test

import rego.v1

import data.aigate.controls.alert
import data.aigate.testing as t

alerts := {"groups": 1, "parsed": true, "promtool": "pass", "rules": [
	{"name": "FraudScoreAnomaly", "expr": "abs(avg_over_time(fraud_score[1h]) - avg_over_time(fraud_score[7d])) > 0.2", "labels": {}},
	{"name": "FraudErrorRateHigh", "expr": "rate(model_errors_total[5m]) > 0.01", "labels": {}},
	{"name": "FraudSlow", "expr": "histogram_quantile(0.99, rate(model_latency_seconds_bucket[5m])) > 0.2", "labels": {"kind": "latency"}},
	{"name": "FraudFeatureDrift", "expr": "fraud_feature_psi > 0.2", "labels": {}},
]}

run_alert(mf, files, rep) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := alert.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := alert.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

test_pass_declared if {
	r := run_alert(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	count(run_alert(t.manifest, t.files, {"alerts": alerts}).deny) == 0
}

test_deny_no_rules_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/alerts/rules"}])
	"no-alert-rules" in t.rule_names(run_alert(mf, t.files, null).deny)
}

test_deny_rules_file_missing if {
	"alert-rules-missing" in t.rule_names(run_alert(t.manifest, t.files_without("monitoring/alerts.yaml"), null).deny)
}

test_deny_no_sink if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/alerts/sink"}])
	"no-alert-sink" in t.rule_names(run_alert(mf, t.files, null).deny)
}

test_deny_evidence_kind_missing if {
	a := json.patch(alerts, [{"op": "remove", "path": "/rules/3"}])
	some f in run_alert(t.manifest, t.files, {"alerts": a}).deny
	f.rule == "alert-kind-missing"
	contains(f.msg, "covers drift")
}

test_deny_evidence_unparsable if {
	a := {"parsed": false, "rules": [], "groups": 0, "promtool": "absent"}
	"alert-rules-unparsable" in t.rule_names(run_alert(t.manifest, t.files, {"alerts": a}).deny)
}

test_deny_evidence_promtool_fail if {
	a := json.patch(alerts, [{"op": "replace", "path": "/promtool", "value": "fail"}])
	"promtool-check-failed" in t.rule_names(run_alert(t.manifest, t.files, {"alerts": a}).deny)
}

test_basis_declared_without_parsed_rules if {
	mf := t.manifest
	alert.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_parsed_rules if {
	mf := t.manifest
	rep := {"alerts": alerts}
	alert.basis == "evidence" with input.manifest as mf with input.reports as rep
}

test_promtool_absent_is_a_declared_pass if {
	a := json.patch(alerts, [{"op": "replace", "path": "/promtool", "value": "absent"}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	count(r.deny) == 0
	count(r.warn) == 0
	rep := {"alerts": a}
	alert.basis == "declared" with input.reports as rep
}

test_deny_evidence_promtool_test_failed if {
	a := object.union(alerts, {"tests": {"result": "fail", "files": 1, "output": "FAILED: alertname: FraudLatencyHigh"}})
	some f in run_alert(t.manifest, t.files, {"alerts": a}).deny
	f.rule == "promtool-test-failed"
	contains(f.msg, "FraudLatencyHigh")
}

test_warn_rule_tests_not_run_without_promtool if {
	a := object.union(alerts, {"promtool": "absent", "tests": {"result": "absent", "files": 1}})
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.warn) == {"promtool-tests-not-run"}
	count(r.deny) == 0
}
