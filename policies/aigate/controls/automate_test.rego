package aigate.controls.automate_test

import rego.v1

import data.aigate.controls.automate
import data.aigate.testing as t

ci := {"provider": "github", "run_id": "42", "workflow": "release", "trigger": "push", "ref": "refs/tags/v1.4.0", "commit": "abc", "url": "https://github.example/run/42"}

record := json.patch(t.aigate_meta, [{"op": "replace", "path": "/mode", "value": "record"}])

pinned_cfg := json.patch(t.cfg, [{"op": "replace", "path": "/policy_set/digest", "value": t.digest}])

run_automate(c, cimeta, meta) := {"deny": d, "warn": w} if {
	mf := t.manifest
	d := automate.deny with input.manifest as mf with input.ci as cimeta with input.aigate as meta with data.aigate.config as c
	w := automate.warn with input.manifest as mf with input.ci as cimeta with input.aigate as meta with data.aigate.config as c
}

test_pass_evidence_in_ci_pinned if {
	r := run_automate(pinned_cfg, ci, record)
	count(r.deny) == 0
	count(r.warn) == 0
}

# A laptop dry run is not automation: a deny by design (level 3, so only blocking when required).
test_deny_declared_dry_run_on_laptop if {
	some f in run_automate(pinned_cfg, null, t.aigate_meta).deny
	f.rule == "not-in-ci"
	f.basis == "declared"
}

test_deny_evidence_ci_dry_run if {
	"ci-dry-run" in t.rule_names(run_automate(pinned_cfg, ci, t.aigate_meta).deny)
}

test_deny_evidence_policy_digest_mismatch if {
	meta := json.patch(record, [{"op": "replace", "path": "/policy_digest", "value": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}])
	"policy-digest-mismatch" in t.rule_names(run_automate(pinned_cfg, ci, meta).deny)
}

test_warn_policy_not_pinned if {
	r := run_automate(t.cfg, ci, record)
	count(r.deny) == 0
	some w in r.warn
	w.rule == "policy-not-pinned"
	contains(w.msg, t.digest)
}

test_basis_declared_outside_ci if {
	mf := t.manifest
	automate.basis == "declared" with input.manifest as mf with input.ci as null
}

test_basis_evidence_in_ci if {
	mf := t.manifest
	c := ci
	automate.basis == "evidence" with input.manifest as mf with input.ci as c
}
