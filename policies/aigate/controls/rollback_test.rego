package aigate.controls.rollback_test

import rego.v1

import data.aigate.controls.rollback
import data.aigate.testing as t

history := {"previous": null, "rollback_target": {"version": "1.3.2", "found": true, "verified": true, "passed": true}, "chain": null}

run_rollback(mf, files, hist) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := rollback.deny with input.manifest as mf with input.files as files with input.history as hist with data.aigate.config as c
	w := rollback.warn with input.manifest as mf with input.files as files with input.history as hist with data.aigate.config as c
}

test_pass_declared if {
	r := run_rollback(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_rollback(t.manifest, t.files, history)
	count(r.deny) == 0
}

test_deny_no_rollback_plan if {
	mf := t.with_patch([{"op": "remove", "path": "/rollback"}])
	t.rule_names(run_rollback(mf, t.files, null).deny) == {"no-rollback-target", "no-rollback-runbook"}
}

test_deny_target_is_this_release if {
	mf := t.with_patch([{"op": "replace", "path": "/rollback/target", "value": "1.4.0"}])
	"target-is-this-release" in t.rule_names(run_rollback(mf, t.files, null).deny)
}

test_deny_runbook_missing if {
	some f in run_rollback(t.manifest, t.files_without("runbooks/rollback.md"), null).deny
	f.rule == "rollback-file-missing"
	f.pointer == "/rollback/runbook"
}

test_warn_no_bundle if {
	mf := t.with_patch([{"op": "remove", "path": "/rollback/bundle"}])
	r := run_rollback(mf, t.files, null)
	"no-target-bundle" in t.rule_names(r.warn)
	count(r.deny) == 0
}

test_deny_evidence_bundle_not_verified if {
	h := json.patch(history, [{"op": "replace", "path": "/rollback_target/verified", "value": false}])
	t.rule_names(run_rollback(t.manifest, t.files, h).deny) == {"target-bundle-not-verified"}
}

test_deny_evidence_bundle_not_found_only if {
	h := {"rollback_target": {"version": "1.3.2", "found": false, "verified": false, "passed": false, "reason": "no bundle for 1.3.2 in releases/"}}
	d := run_rollback(t.manifest, t.files, h).deny
	t.rule_names(d) == {"target-bundle-not-found"}
	some f in d
	contains(f.msg, "(no bundle for 1.3.2 in releases/)")
}

test_deny_evidence_target_failed if {
	h := json.patch(history, [{"op": "replace", "path": "/rollback_target/passed", "value": false}])
	"target-bundle-not-passed" in t.rule_names(run_rollback(t.manifest, t.files, h).deny)
}

test_deny_evidence_version_mismatch if {
	h := json.patch(history, [{"op": "replace", "path": "/rollback_target/version", "value": "1.2.0"}])
	"target-bundle-version-mismatch" in t.rule_names(run_rollback(t.manifest, t.files, h).deny)
}

test_basis_declared_without_history if {
	mf := t.manifest
	rollback.basis == "declared" with input.manifest as mf with input.history as null
}

test_basis_evidence_with_rollback_target if {
	mf := t.manifest
	h := history
	rollback.basis == "evidence" with input.manifest as mf with input.history as h
}
