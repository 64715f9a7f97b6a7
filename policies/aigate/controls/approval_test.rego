package aigate.controls.approval_test

import rego.v1

import data.aigate.controls.approval
import data.aigate.testing as t

signoffs := {
	"required": [{"role": "ml-lead", "quorum": 1}, {"role": "security-lead", "quorum": 2}],
	"approvals": [
		{"id": "a1", "role": "ml-lead", "signer": "ada@example.com", "verified": true, "counted": true, "reason": "ok"},
		{"id": "a2", "role": "security-lead", "signer": "bo@example.com", "verified": true, "counted": true, "reason": "ok"},
		{"id": "a3", "role": "security-lead", "signer": "cy@example.com", "verified": true, "counted": true, "reason": "ok"},
	],
	"roles": {
		"ml-lead": {"quorum": 1, "counted": 1, "satisfied": true},
		"security-lead": {"quorum": 2, "counted": 2, "satisfied": true},
	},
	"policy_change": false,
	"satisfied": true,
}

run_approval(so) := {"deny": d, "warn": w} if {
	c := t.cfg
	mf := t.manifest
	d := approval.deny with input.manifest as mf with input.signoffs as so with data.aigate.config as c
	w := approval.warn with input.manifest as mf with input.signoffs as so with data.aigate.config as c
}

test_pass_evidence if {
	r := run_approval(signoffs)
	count(r.deny) == 0
	count(r.warn) == 0
}

# The manifest cannot approve itself: without verified sign-offs the control denies.
test_deny_declared_without_signoffs if {
	some f in run_approval(null).deny
	f.rule == "signoffs-not-verified"
	f.basis == "declared"
	contains(f.msg, "ml-lead, security-lead")
}

test_deny_evidence_quorum_not_met if {
	so := json.patch(signoffs, [
		{"op": "replace", "path": "/roles/security-lead", "value": {"quorum": 2, "counted": 1, "satisfied": false}},
		{"op": "replace", "path": "/approvals/2/counted", "value": false},
		{"op": "replace", "path": "/approvals/2/reason", "value": "key not listed for role"},
		{"op": "replace", "path": "/satisfied", "value": false},
	])
	r := run_approval(so)
	some f in r.deny
	f.rule == "role-not-satisfied"
	contains(f.msg, "role security-lead has 1 of 2")
	some w in r.warn
	w.rule == "approvals-not-counted"
	contains(w.msg, "key not listed for role")
}

# The sign-off collector's own list of unmet requirements (docs/signoffs.md).
test_deny_evidence_collector_missing_list if {
	so := json.patch(signoffs, [
		{"op": "replace", "path": "/satisfied", "value": false},
		{"op": "add", "path": "/missing", "value": [
			{"role": "security-lead", "policy_change": false, "quorum": 2, "counted": 1, "message": "1 of 2"},
			{"role": "security-lead", "policy_change": true, "quorum": 1, "counted": 0, "message": "policy change"},
		]},
	])
	d := run_approval(so).deny
	t.rule_names(d) == {"role-not-satisfied", "policy-change-unapproved"}
	some f in d
	f.rule == "role-not-satisfied"
	contains(f.msg, "role security-lead has 1 of 2")
}

test_pass_evidence_empty_missing_list if {
	so := json.patch(signoffs, [{"op": "add", "path": "/missing", "value": []}])
	count(run_approval(so).deny) == 0
}

test_deny_evidence_missing_role if {
	so := json.patch(signoffs, [{"op": "remove", "path": "/roles/ml-lead"}, {"op": "replace", "path": "/satisfied", "value": false}])
	some f in run_approval(so).deny
	f.rule == "role-not-satisfied"
	contains(f.msg, "role ml-lead has 0 of 1")
}

test_deny_evidence_policy_change_needs_extra_approval if {
	so := json.patch(signoffs, [
		{"op": "replace", "path": "/policy_change", "value": true},
		{"op": "replace", "path": "/roles/security-lead/satisfied", "value": false},
	])
	some f in run_approval(so).deny
	f.rule == "policy-change-unapproved"
	f.msg == "this release changes policy data or the approvers list; it needs an additional approval from role security-lead"
}

test_deny_evidence_policy_change_names_the_files if {
	so := json.patch(signoffs, [
		{"op": "replace", "path": "/policy_change", "value": true},
		{"op": "add", "path": "/policy_change_paths", "value": ["keys/bundle.pub", "policy-data.yaml"]},
		{"op": "replace", "path": "/roles/security-lead/satisfied", "value": false},
	])
	some f in run_approval(so).deny
	f.rule == "policy-change-unapproved"
	contains(f.msg, "approvers list (keys/bundle.pub, policy-data.yaml); it needs")
}

test_deny_evidence_collector_unsatisfied if {
	so := json.patch(signoffs, [{"op": "replace", "path": "/satisfied", "value": false}])
	t.rule_names(run_approval(so).deny) == {"signoffs-unsatisfied"}
}

test_deny_role_without_members if {
	c := json.patch(t.cfg, [{"op": "replace", "path": "/approvals/roles/ml-lead/members", "value": []}])
	mf := t.manifest
	so := signoffs
	d := approval.deny with input.manifest as mf with input.signoffs as so with data.aigate.config as c
	"role-has-no-members" in t.rule_names(d)
}

test_deny_role_not_configured if {
	c := json.patch(t.cfg, [{"op": "replace", "path": "/approvals/required_roles", "value": ["ml-lead", "legal"]}])
	mf := t.manifest
	so := signoffs
	d := approval.deny with input.manifest as mf with input.signoffs as so with data.aigate.config as c
	"role-not-configured" in t.rule_names(d)
}

test_basis_declared_without_signoffs if {
	mf := t.manifest
	approval.basis == "declared" with input.manifest as mf with input.signoffs as null
}

test_basis_evidence_with_signoffs if {
	mf := t.manifest
	so := signoffs
	approval.basis == "evidence" with input.manifest as mf with input.signoffs as so
}

test_rejected_approval_names_the_claimed_signer if {
	so := {"required": [], "roles": {}, "missing": [], "satisfied": true, "approvals": [{"role": "security-lead", "signer": null, "claimed_by": "mallory@example.com", "counted": false, "reason": "signature does not verify"}]}
	ws := approval.warn with input.signoffs as so
	some w in ws
	w.rule == "approvals-not-counted"
	contains(w.msg, "mallory@example.com (unverified) for security-lead: signature does not verify")
}

# A range no verified previous release anchors is declared, and says so.
test_warn_range_not_anchored if {
	so := json.patch(signoffs, [{"op": "add", "path": "/range", "value": {"basis": "none"}}])
	r := run_approval(so)
	count(r.deny) == 0
	some f in r.warn
	f.rule == "range-not-anchored"
	f.basis == "declared"
	contains(f.msg, "basis none")
}

test_no_warn_range_anchored if {
	so := json.patch(signoffs, [{"op": "add", "path": "/range", "value": {"basis": "evidence"}}])
	count(run_approval(so).warn) == 0
}
