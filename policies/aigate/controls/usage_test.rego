package aigate.controls.usage_test

import rego.v1

import data.aigate.controls.usage
import data.aigate.testing as t

alerts := {"groups": 1, "parsed": true, "promtool": "absent", "rules": [
	{"name": "FraudHighLatency", "expr": "histogram_quantile(0.99, rate(model_latency_seconds_bucket[5m])) > 0.2", "labels": {}},
	{"name": "FraudErrorRate", "expr": "rate(model_errors_total[5m]) / rate(model_invocations_total[5m]) > 0.01", "labels": {}},
]}

run_usage(mf, rep) := {"deny": d, "warn": w} if {
	c := t.cfg
	files := t.files
	d := usage.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := usage.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

test_pass_declared if {
	r := run_usage(t.manifest, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_usage(t.manifest, {"alerts": alerts})
	count(r.deny) == 0
}

test_deny_metrics_not_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/metrics"}])
	r := run_usage(mf, null)
	count([f | some f in r.deny; f.rule == "metric-not-declared"]) == 2
	"no-dashboard" in t.rule_names(r.warn)
}

test_deny_latency_not_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/metrics/latency"}])
	some f in run_usage(mf, null).deny
	f.rule == "metric-not-declared"
	contains(f.msg, "monitoring.metrics.latency")
}

test_deny_evidence_metric_unused if {
	a := json.patch(alerts, [{"op": "remove", "path": "/rules/0"}])
	some f in run_usage(t.manifest, {"alerts": a}).deny
	f.rule == "metric-unused"
	contains(f.msg, "model_latency_seconds")
}

test_basis_declared_without_alert_rules if {
	mf := t.manifest
	usage.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_alert_rules if {
	mf := t.manifest
	rep := {"alerts": alerts}
	usage.basis == "evidence" with input.manifest as mf with input.reports as rep
}
