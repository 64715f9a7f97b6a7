package aigate.controls.audit_test

import rego.v1

import data.aigate.controls.audit
import data.aigate.testing as t

history := {"previous": {"version": "1.3.2", "decision": "pass", "decision_digest": "sha256:aa", "verified": true}, "rollback_target": null, "chain": {"length": 3, "verified": true}}

run_audit(hist, meta) := {"deny": d, "warn": w} if {
	c := t.cfg
	mf := t.manifest
	d := audit.deny with input.manifest as mf with input.history as hist with input.aigate as meta with data.aigate.config as c
	w := audit.warn with input.manifest as mf with input.history as hist with input.aigate as meta with data.aigate.config as c
}

record := json.patch(t.aigate_meta, [{"op": "replace", "path": "/mode", "value": "record"}])

test_pass_evidence_recorded if {
	r := run_audit(history, record)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence_first_release if {
	h := {"previous": null, "rollback_target": null, "chain": {"length": 0, "verified": true}}
	count(run_audit(h, record).deny) == 0
}

test_deny_declared_without_chain if {
	r := run_audit(null, t.aigate_meta)
	some f in r.deny
	f.rule == "chain-not-verified"
	f.basis == "declared"
	"decision-not-recorded" in t.rule_names(r.warn)
}

test_deny_evidence_chain_broken if {
	h := json.patch(history, [{"op": "replace", "path": "/chain/verified", "value": false}])
	some f in run_audit(h, record).deny
	f.rule == "chain-broken"
	contains(f.msg, "3 decision(s)")
}

# a store whose chain fails to verify has no length and maybe no reason: the message says neither "null" nor a count
test_deny_evidence_chain_unverifiable_message if {
	h := json.patch(history, [
		{"op": "replace", "path": "/chain/verified", "value": false},
		{"op": "replace", "path": "/chain/length", "value": null},
		{"op": "add", "path": "/chain/reason", "value": null},
	])
	some f in run_audit(h, record).deny
	f.rule == "chain-broken"
	f.msg == "the decision chain does not verify: a bundle is missing, reordered or replaced. Run `aigate audit verify` to find the break"
}

test_deny_evidence_previous_unlinked if {
	h := json.patch(history, [{"op": "remove", "path": "/previous/decision_digest"}])
	"previous-decision-unlinked" in t.rule_names(run_audit(h, record).deny)
}

test_basis_declared_without_chain if {
	mf := t.manifest
	audit.basis == "declared" with input.manifest as mf with input.history as null
}

test_basis_evidence_with_chain if {
	mf := t.manifest
	h := history
	audit.basis == "evidence" with input.manifest as mf with input.history as h
}
