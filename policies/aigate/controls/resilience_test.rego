package aigate.controls.resilience_test

import rego.v1

import data.aigate.controls.resilience
import data.aigate.testing as t

history := {"previous": null, "fallback": {
	"model": "fraud-rules", "version": "2.0.0", "bundle": "releases/rules-2.0.0", "found": true,
	"verified": true, "passed": true, "model_matches": true, "version_matches": true,
	"bundle_digest": "sha256:00", "reason": null,
}}

# the shared fixture's manifest and files, with the kill switch's safe-shutdown runbook
manifest := t.with_patch([{"op": "add", "path": "/resilience/kill_switch/runbook", "value": "runbooks/safe-shutdown.md"}])

files := object.union(t.files, {"runbooks/safe-shutdown.md": {"exists": true, "kind": "file", "sha256": "00", "size": 1400, "mtime_epoch": t.now}})

patched(ops) := json.patch(manifest, ops)

run_resilience(mf, fs, hist) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := resilience.deny with input.manifest as mf with input.files as fs with input.history as hist with data.aigate.config as c
	w := resilience.warn with input.manifest as mf with input.files as fs with input.history as hist with data.aigate.config as c
}

test_pass_declared if {
	r := run_resilience(manifest, files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_resilience(manifest, files, history)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_kill_switch_only if {
	mf := patched([{"op": "remove", "path": "/resilience/fallback"}])
	r := run_resilience(mf, files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_no_degraded_mode if {
	mf := patched([{"op": "remove", "path": "/resilience/fallback"}, {"op": "replace", "path": "/resilience/kill_switch/enabled", "value": false}])
	t.rule_names(run_resilience(mf, files, null).deny) == {"no-degraded-mode"}
}

test_deny_fallback_without_kill_switch if {
	mf := patched([{"op": "replace", "path": "/resilience/kill_switch/enabled", "value": false}])
	t.rule_names(run_resilience(mf, files, history).deny) == {"no-kill-switch"}
}

test_pass_fallback_alone_when_policy_allows if {
	mf := patched([{"op": "replace", "path": "/resilience/kill_switch/enabled", "value": false}])
	c := object.union(t.cfg, {"resilience": {"require_kill_switch": false}})
	fs := files
	h := history
	d := resilience.deny with input.manifest as mf with input.files as fs with input.history as h with data.aigate.config as c
	count(d) == 0
}

test_deny_kill_switch_without_runbook if {
	mf := t.with_patch([])
	r := run_resilience(mf, files, null)
	t.rule_names(r.deny) == {"no-kill-switch-runbook"}
	some f in r.deny
	f.pointer == "/resilience/kill_switch"
}

test_deny_kill_switch_runbook_missing if {
	some f in run_resilience(manifest, t.files, null).deny
	f.rule == "resilience-file-missing"
	contains(f.msg, "runbooks/safe-shutdown.md")
}

test_deny_kill_switch_runbook_stub if {
	fs := object.union(files, {"runbooks/safe-shutdown.md": {"exists": true, "kind": "file", "sha256": "00", "size": 12, "mtime_epoch": t.now}})
	some f in run_resilience(manifest, fs, null).deny
	f.rule == "kill-switch-runbook-empty"
	f.msg == "the safe-shutdown runbook runbooks/safe-shutdown.md has 12 bytes, fewer than the 200 the policy requires; write the procedure (resilience.runbook_min_bytes)"
}

test_deny_no_runbook if {
	mf := patched([{"op": "remove", "path": "/resilience/runbook"}])
	"no-incident-runbook" in t.rule_names(run_resilience(mf, files, null).deny)
}

test_deny_runbook_missing if {
	"resilience-file-missing" in t.rule_names(run_resilience(manifest, object.union(files, {"runbooks/incident.md": {"exists": false, "kind": "missing", "sha256": null, "size": null, "mtime_epoch": null}}), null).deny)
}

test_warn_fallback_without_bundle if {
	mf := patched([{"op": "remove", "path": "/resilience/fallback/bundle"}])
	"fallback-without-bundle" in t.rule_names(run_resilience(mf, files, null).warn)
}

test_deny_evidence_fallback_failed if {
	h := json.patch(history, [{"op": "replace", "path": "/fallback/passed", "value": false}])
	r := run_resilience(manifest, files, h)
	t.rule_names(r.deny) == {"fallback-bundle-not-passed"}
	some f in r.deny
	contains(f.msg, "fraud-rules")
}

test_deny_evidence_fallback_not_found if {
	h := {"fallback": {"found": false, "verified": false, "passed": false, "reason": "no resilience.fallback.bundle declared and no --bundles store to look it up in"}}
	some f in run_resilience(manifest, files, h).deny
	f.rule == "fallback-bundle-not-found"
	contains(f.msg, "fraud-rules 2.0.0 was not found (no resilience.fallback.bundle declared")
}

test_deny_evidence_fallback_not_verified if {
	h := {"fallback": {"found": true, "verified": false, "passed": false, "bundle": "releases/rules-2.0.0", "reason": "decision.json: digest mismatch"}}
	r := run_resilience(manifest, files, h)
	t.rule_names(r.deny) == {"fallback-bundle-not-verified"}
	some f in r.deny
	contains(f.msg, "(decision.json: digest mismatch)")
}

test_deny_evidence_fallback_wrong_model if {
	h := json.patch(history, [{"op": "replace", "path": "/fallback/model", "value": "fraud-detector"}])
	r := run_resilience(manifest, files, h)
	t.rule_names(r.deny) == {"fallback-bundle-wrong-model"}
}

test_deny_evidence_fallback_wrong_version if {
	h := json.patch(history, [{"op": "replace", "path": "/fallback/version", "value": "2.1.0"}])
	r := run_resilience(manifest, files, h)
	t.rule_names(r.deny) == {"fallback-bundle-wrong-version"}
	some f in r.deny
	contains(f.msg, "holds release 2.1.0 of fraud-rules, but resilience.fallback.version is 2.0.0")
}

test_pass_evidence_fallback_without_declared_version if {
	mf := patched([{"op": "remove", "path": "/resilience/fallback/version"}])
	h := json.patch(history, [{"op": "replace", "path": "/fallback/version", "value": "2.1.0"}])
	count(run_resilience(mf, files, h).deny) == 0
}

test_basis_declared_without_fallback_evidence if {
	mf := manifest
	resilience.basis == "declared" with input.manifest as mf with input.history as null
}

test_basis_evidence_with_fallback_evidence if {
	mf := manifest
	h := history
	resilience.basis == "evidence" with input.manifest as mf with input.history as h
}
