package aigate.controls.auditready_test

import rego.v1

import data.aigate.controls.auditready
import data.aigate.testing as t

history := {"previous": {"version": "1.3.2", "verified": true, "decision": "pass"}, "rollback_target": null, "chain": {"length": 2, "verified": true}}

record := object.union(t.aigate_meta, {"mode": "record", "signing": "keyless"})

run_auditready(meta, hist, c) := {"deny": d, "warn": w} if {
	mf := t.manifest
	d := auditready.deny with input.manifest as mf with input.aigate as meta with input.environment as {"python": {}} with input.dependencies as {} with input.sbom as {} with input.artifacts as [] with input.signoffs as {} with input.history as hist with data.aigate.config as c
	w := auditready.warn with input.manifest as mf with input.aigate as meta with input.environment as {"python": {}} with input.dependencies as {} with input.sbom as {} with input.artifacts as [] with input.signoffs as {} with input.history as hist with data.aigate.config as c
}

test_pass_evidence_signed_recorded_run if {
	r := run_auditready(record, history, t.cfg)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_declared_fast_dry_run if {
	mf := t.manifest
	meta := t.aigate_meta
	c := t.cfg
	d := auditready.deny with input.manifest as mf with input.aigate as meta with input.environment as null with input.sbom as null with input.dependencies as null with input.artifacts as null with input.signoffs as null with input.history as null with data.aigate.config as c
	t.rule_names(d) == {"evidence-incomplete", "bundle-not-recorded"}
	some f in d
	f.rule == "evidence-incomplete"
	contains(f.msg, "environment, dependencies, sbom, artifacts, signoffs, history")
}

test_deny_unsigned_record if {
	meta := object.union(record, {"signing": "none"})
	"bundle-unsigned" in t.rule_names(run_auditready(meta, history, t.cfg).deny)
}

test_warn_unsigned_allowed_by_policy if {
	meta := object.union(record, {"signing": "none"})
	c := object.union(t.cfg, {"allow_unsigned_evidence": true})
	r := run_auditready(meta, history, c)
	count(r.deny) == 0
	"bundle-unsigned-allowed" in t.rule_names(r.warn)
}

test_deny_evidence_previous_bundle_unverified if {
	h := json.patch(history, [{"op": "replace", "path": "/previous/verified", "value": false}])
	"previous-bundle-unverified" in t.rule_names(run_auditready(record, h, t.cfg).deny)
}

test_basis_declared_without_previous_bundle if {
	mf := t.manifest
	auditready.basis == "declared" with input.manifest as mf with input.history as null
}

test_basis_evidence_with_previous_bundle if {
	mf := t.manifest
	h := history
	auditready.basis == "evidence" with input.manifest as mf with input.history as h
}
