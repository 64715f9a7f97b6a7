package aigate.controls.alert_test

import rego.v1

import data.aigate.controls.alert
import data.aigate.testing as t

runbook_file(p) := {"annotation": "runbook_url", "value": p, "type": "path", "path": p, "exists": true, "reason": null}

alerts := {"groups": 1, "parsed": true, "promtool": "pass", "rules": [
	{"name": "FraudScoreAnomaly", "expr": "abs(avg_over_time(fraud_score[1h]) - avg_over_time(fraud_score[7d])) > 0.2", "labels": {"severity": "page"}, "runbook": runbook_file("runbooks/anomaly.md")},
	{"name": "FraudErrorRateHigh", "expr": "rate(model_errors_total[5m]) > 0.01", "labels": {"severity": "page"}, "runbook": runbook_file("runbooks/errors.md")},
	{"name": "FraudSlow", "expr": "histogram_quantile(0.99, rate(model_latency_seconds_bucket[5m])) > 0.2", "labels": {"kind": "latency", "severity": "critical"}, "runbook": runbook_file("runbooks/latency.md#p99")},
	{"name": "FraudFeatureDrift", "expr": "fraud_feature_psi > 0.2", "labels": {"severity": "ticket"}, "runbook": runbook_file("runbooks/drift.md")},
	{"name": "Watchdog", "expr": "vector(1)", "labels": {}, "runbook": {"type": "none"}},
], "metrics": {
	"invocations": {"name": "model_invocations_total", "found": [{"file": "monitoring/dash.json", "panel": "calls", "as": "model_invocations_total"}], "found_count": 1},
	"latency": {"name": "model_latency_seconds", "found": [{"file": "monitoring/alerts.yaml", "rule": "FraudSlow", "as": "model_latency_seconds_bucket"}], "found_count": 1},
}}

run_alert(mf, files, rep) := run_alert_cfg(mf, files, rep, t.cfg)

run_alert_cfg(mf, files, rep, c) := {"deny": d, "warn": w} if {
	d := alert.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := alert.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

# the organisation's LLM kinds and a runbook wiki (t.cfg has neither)
llm_cfg := json.patch(t.cfg, [
	{"op": "add", "path": "/alerting/llm_required_kinds", "value": ["hallucination"]},
	{"op": "add", "path": "/alerting/kind_aliases/hallucination", "value": ["hallucination", "groundedness", "faithfulness"]},
	{"op": "add", "path": "/alerting/runbook_url_prefixes", "value": ["https://wiki.example.com/runbooks", "https://ops.example.com/"]},
])

deny_msgs(r, rule) := {f.msg | some f in r.deny; f.rule == rule}

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

# --- severity and runbooks of the rules that cover a required kind -------------------------------

test_deny_severity_missing if {
	a := json.patch(alerts, [{"op": "remove", "path": "/rules/3/labels/severity"}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"alert-severity-missing"}
	some m in deny_msgs(r, "alert-severity-missing")
	contains(m, "FraudFeatureDrift")
	contains(m, "covers drift")
	contains(m, "has no severity label")
	contains(m, "monitoring/alerts.yaml")
}

test_deny_severity_unknown if {
	a := json.patch(alerts, [{"op": "replace", "path": "/rules/0/labels/severity", "value": "Critical"}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	some m in deny_msgs(r, "alert-severity-missing")
	contains(m, "FraudScoreAnomaly")
	contains(m, "has severity Critical")
	contains(m, "critical, page, warning, ticket, info")
}

test_severities_from_policy_data if {
	c := json.patch(t.cfg, [{"op": "add", "path": "/alerting/severities", "value": ["P1", "P2"]}])
	r := run_alert_cfg(t.manifest, t.files, {"alerts": alerts}, c)
	count(deny_msgs(r, "alert-severity-missing")) == 4
}

test_rule_covering_no_kind_needs_neither if {
	# the Watchdog rule in the fixture has no severity and no runbook
	count(run_alert(t.manifest, t.files, {"alerts": alerts}).deny) == 0
}

test_deny_runbook_missing if {
	a := json.patch(alerts, [{"op": "replace", "path": "/rules/1/runbook", "value": {"type": "none"}}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"alert-runbook-missing"}
	some m in deny_msgs(r, "alert-runbook-missing")
	contains(m, "FraudErrorRateHigh")
	contains(m, "runbook_url")
}

test_deny_runbook_not_found if {
	b := {"annotation": "runbook", "value": "runbooks/gone.md", "type": "path", "path": "runbooks/gone.md", "exists": false, "reason": "no such file in the project"}
	a := json.patch(alerts, [{"op": "replace", "path": "/rules/2/runbook", "value": b}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"alert-runbook-not-found"}
	some m in deny_msgs(r, "alert-runbook-not-found")
	contains(m, "runbooks/gone.md")
	contains(m, "FraudSlow")
	contains(m, "annotations.runbook")
}

test_deny_runbook_outside if {
	b := {"annotation": "runbook_url", "value": "../../etc/passwd", "type": "path", "path": "../../etc/passwd", "exists": false, "outside": true, "reason": "resolves outside the project"}
	a := json.patch(alerts, [{"op": "replace", "path": "/rules/2/runbook", "value": b}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"alert-runbook-outside"}
	some m in deny_msgs(r, "alert-runbook-outside")
	contains(m, "../../etc/passwd")
}

test_deny_runbook_invalid if {
	b := {"annotation": "runbook_url", "value": "file:///etc/passwd", "type": "invalid", "exists": false, "reason": "scheme file: only http(s) URLs or files in the project"}
	a := json.patch(alerts, [{"op": "replace", "path": "/rules/2/runbook", "value": b}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"alert-runbook-invalid"}
}

url_alerts(u) := json.patch(alerts, [{"op": "replace", "path": "/rules/3/runbook", "value": {"annotation": "runbook_url", "value": u, "type": "url", "url": u, "exists": null}}])

test_deny_runbook_url_without_prefixes if {
	r := run_alert(t.manifest, t.files, {"alerts": url_alerts("https://wiki.example.com/runbooks/drift")})
	some m in deny_msgs(r, "alert-runbook-url-not-allowed")
	contains(m, "none set")
	contains(m, "https://wiki.example.com/runbooks/drift")
}

test_runbook_url_under_prefix if {
	some u in ["https://wiki.example.com/runbooks", "https://wiki.example.com/runbooks/drift", "https://wiki.example.com/runbooks#drift", "https://ops.example.com/x"]
	count(run_alert_cfg(t.manifest, t.files, {"alerts": url_alerts(u)}, llm_cfg).deny) == 0
}

test_deny_runbook_url_not_under_prefix if {
	some u in ["https://wiki.example.com/runbooks-evil/drift", "https://wiki.example.com.evil.test/runbooks", "http://wiki.example.com/runbooks/drift", "https://ops.example.co"]
	r := run_alert_cfg(t.manifest, t.files, {"alerts": url_alerts(u)}, llm_cfg)
	t.rule_names(r.deny) == {"alert-runbook-url-not-allowed"}
}

# --- LLM deployments ---------------------------------------------------------------------------

test_deny_llm_without_hallucination_rule if {
	mf := t.with_patch([{"op": "add", "path": "/model/llm", "value": true}])
	r := run_alert_cfg(mf, t.files, {"alerts": alerts}, llm_cfg)
	t.rule_names(r.deny) == {"alert-kind-missing"}
	some m in deny_msgs(r, "alert-kind-missing")
	contains(m, "covers hallucination")
	contains(m, "LLM deployment")
}

test_deny_llm_marked_by_evaluation_outputs if {
	mf := t.with_patch([{"op": "add", "path": "/evaluation/llm", "value": ["reports/lm-eval/results.json"]}])
	"alert-kind-missing" in t.rule_names(run_alert_cfg(mf, t.files, {"alerts": alerts}, llm_cfg).deny)
}

test_not_llm_needs_no_hallucination_rule if {
	mf := t.with_patch([{"op": "add", "path": "/model/llm", "value": false}])
	count(run_alert_cfg(mf, t.files, {"alerts": alerts}, llm_cfg).deny) == 0
}

test_llm_groundedness_rule_by_label_passes if {
	mf := t.with_patch([{"op": "add", "path": "/model/llm", "value": true}])
	rule := {"name": "AnswersUngrounded", "expr": "avg(rag_score) < 0.8", "labels": {"kind": "groundedness", "severity": "warning"}, "runbook": runbook_file("runbooks/llm.md")}
	a := json.patch(alerts, [{"op": "add", "path": "/rules/-", "value": rule}])
	count(run_alert_cfg(mf, t.files, {"alerts": a}, llm_cfg).deny) == 0
}

test_llm_rule_needs_severity_and_runbook if {
	mf := t.with_patch([{"op": "add", "path": "/model/llm", "value": true}])
	rule := {"name": "FaithfulnessLow", "expr": "avg(faith) < 0.8", "labels": {}, "runbook": {"type": "none"}}
	a := json.patch(alerts, [{"op": "add", "path": "/rules/-", "value": rule}])
	t.rule_names(run_alert_cfg(mf, t.files, {"alerts": a}, llm_cfg).deny) == {"alert-severity-missing", "alert-runbook-missing"}
}

# --- usage metrics and dashboards ----------------------------------------------------------------

test_deny_usage_metric_unused if {
	a := json.patch(alerts, [{"op": "add", "path": "/metrics/errors", "value": {"name": "model_errors", "found": [], "found_count": 0}}])
	r := run_alert(t.manifest, t.files, {"alerts": a})
	t.rule_names(r.deny) == {"usage-metric-unused"}
	some f in r.deny
	f.pointer == "/monitoring/metrics/errors"
	contains(f.msg, "model_errors")
	contains(f.msg, "none declared")
}

test_deny_dashboard_missing if {
	mf := t.with_patch([{"op": "add", "path": "/monitoring/dashboards", "value": ["monitoring/dash.json"]}])
	r := run_alert(mf, t.files, null)
	t.rule_names(r.deny) == {"dashboard-missing"}
	some f in r.deny
	f.pointer == "/monitoring/dashboards/0"
}

test_deny_dashboard_unparsable if {
	mf := t.with_patch([{"op": "add", "path": "/monitoring/dashboards", "value": ["monitoring/dash.json"]}])
	files := object.union(t.files, {"monitoring/dash.json": {"exists": true, "kind": "file", "sha256": "00", "size": 1, "mtime_epoch": t.now}})
	a := object.union(alerts, {"dashboards": [{"file": "monitoring/dash.json", "exists": true, "parsed": false, "error": "monitoring/dash.json:1:1: not JSON"}]})
	r := run_alert(mf, files, {"alerts": a})
	t.rule_names(r.deny) == {"dashboard-unparsable"}
}
