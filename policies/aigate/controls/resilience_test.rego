package aigate.controls.resilience_test

import rego.v1

import data.aigate.controls.resilience
import data.aigate.testing as t

history := {"previous": null, "fallback": {"version": "2.0.0", "found": true, "verified": true, "passed": true}}

run_resilience(mf, files, hist) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := resilience.deny with input.manifest as mf with input.files as files with input.history as hist with data.aigate.config as c
	w := resilience.warn with input.manifest as mf with input.files as files with input.history as hist with data.aigate.config as c
}

test_pass_declared if {
	r := run_resilience(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	count(run_resilience(t.manifest, t.files, history).deny) == 0
}

test_pass_kill_switch_only if {
	mf := t.with_patch([{"op": "remove", "path": "/resilience/fallback"}])
	r := run_resilience(mf, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_no_degraded_mode if {
	mf := t.with_patch([{"op": "remove", "path": "/resilience/fallback"}, {"op": "replace", "path": "/resilience/kill_switch/enabled", "value": false}])
	t.rule_names(run_resilience(mf, t.files, null).deny) == {"no-degraded-mode"}
}

test_deny_no_runbook if {
	mf := t.with_patch([{"op": "remove", "path": "/resilience/runbook"}])
	"no-incident-runbook" in t.rule_names(run_resilience(mf, t.files, null).deny)
}

test_deny_runbook_missing if {
	"resilience-file-missing" in t.rule_names(run_resilience(t.manifest, t.files_without("runbooks/incident.md"), null).deny)
}

test_warn_fallback_without_bundle if {
	mf := t.with_patch([{"op": "remove", "path": "/resilience/fallback/bundle"}])
	"fallback-without-bundle" in t.rule_names(run_resilience(mf, t.files, null).warn)
}

test_deny_evidence_fallback_failed if {
	h := json.patch(history, [{"op": "replace", "path": "/fallback/passed", "value": false}])
	some f in run_resilience(t.manifest, t.files, h).deny
	f.rule == "fallback-bundle-not-passed"
	contains(f.msg, "fraud-rules")
}

test_basis_declared_without_fallback_evidence if {
	mf := t.manifest
	resilience.basis == "declared" with input.manifest as mf with input.history as null
}

test_basis_evidence_with_fallback_evidence if {
	mf := t.manifest
	h := history
	resilience.basis == "evidence" with input.manifest as mf with input.history as h
}
