package aigate.controls.usage_test

import rego.v1

import data.aigate.controls.usage
import data.aigate.testing as t

alerts := {"groups": 1, "parsed": true, "promtool": "absent", "rules": [
	{"name": "FraudHighLatency", "expr": "histogram_quantile(0.99, rate(model_latency_seconds_bucket[5m])) > 0.2", "labels": {}},
	{"name": "FraudErrorRate", "expr": "rate(model_errors_total[5m]) / rate(model_invocations_total[5m]) > 0.01", "labels": {}},
], "metrics": {
	"latency": {"name": "model_latency_seconds", "found": [{"file": "monitoring/alerts.yaml", "rule": "FraudHighLatency"}]},
	"invocations": {"name": "model_invocations_total", "found": [{"file": "monitoring/alerts.yaml", "rule": "FraudErrorRate"}]},
}}

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
	a := json.patch(alerts, [{"op": "replace", "path": "/metrics/latency/found", "value": []}])
	some f in run_usage(t.manifest, {"alerts": a}).deny
	f.rule == "metric-unused"
	contains(f.msg, "model_latency_seconds")
}

# the collector's token match is the evidence: a rule text that merely contains the name (as a
# prefix of another metric, in a label value) without the collector finding it is not a use
test_deny_substring_is_not_a_use if {
	a := json.patch(alerts, [
		{"op": "replace", "path": "/metrics/invocations/found", "value": []},
		{"op": "add", "path": "/rules/-", "value": {"name": "X", "expr": "rate(model_invocations_total_v2[5m]) > 1", "labels": {}}},
	])
	some f in run_usage(t.manifest, {"alerts": a}).deny
	f.rule == "metric-unused"
	contains(f.msg, "model_invocations_total")
}

# used only by a dashboard panel: a use
test_pass_metric_only_in_a_dashboard if {
	a := json.patch(alerts, [
		{"op": "replace", "path": "/rules", "value": []},
		{"op": "replace", "path": "/metrics/latency/found", "value": [{"file": "monitoring/dashboards/d.json", "panel": "p99"}]},
		{"op": "replace", "path": "/metrics/invocations/found", "value": [{"file": "monitoring/dashboards/d.json", "panel": "rps"}]},
	])
	count(run_usage(t.manifest, {"alerts": a}).deny) == 0
}

# evidence without the per-metric record (an older or hand-built input) fails closed
test_deny_without_metric_evidence if {
	a := json.remove(alerts, ["metrics"])
	count([f | some f in run_usage(t.manifest, {"alerts": a}).deny; f.rule == "metric-unused"]) == 2
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
