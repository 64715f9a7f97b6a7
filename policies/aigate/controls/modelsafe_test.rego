package aigate.controls.modelsafe_test

import rego.v1

import data.aigate.controls.modelsafe
import data.aigate.testing as t

safe_artifacts := [{"path": "model/model.safetensors", "kind": "model", "format": "safetensors", "files": [], "size": 4096, "sha256": "ab", "safety": {"status": "safe", "scanner": "format", "findings": []}}]

run_modelsafe(mf, arts, c) := {"deny": d, "warn": w} if {
	d := modelsafe.deny with input.manifest as mf with input.artifacts as arts with data.aigate.config as c
	w := modelsafe.warn with input.manifest as mf with input.artifacts as arts with data.aigate.config as c
}

pickle_manifest := t.with_patch([{"op": "replace", "path": "/model/format", "value": "pickle"}, {"op": "replace", "path": "/model/artifacts/0/path", "value": "model/model.pkl"}])

test_pass_declared_safetensors if {
	r := run_modelsafe(t.manifest, null, t.cfg)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence_safe if {
	r := run_modelsafe(t.manifest, safe_artifacts, t.cfg)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_evidence_unsafe_pickle if {
	arts := [{"path": "model/model.pkl", "kind": "model", "format": "pickle", "safety": {"status": "unsafe", "scanner": "fickling", "findings": [{"message": "call to os.system"}]}}]
	some f in run_modelsafe(pickle_manifest, arts, t.cfg).deny
	f.rule == "unsafe-model-file"
	contains(f.msg, "call to os.system")
	contains(f.msg, "fickling")
}

test_deny_evidence_scan_error if {
	arts := [{"path": "model/model.pkl", "format": "pickle", "safety": {"status": "error", "scanner": "fickling", "findings": ["truncated pickle"]}}]
	"scan-error" in t.rule_names(run_modelsafe(pickle_manifest, arts, t.cfg).deny)
}

test_warn_evidence_unknown_status if {
	arts := [{"path": "model/weights.xyz", "format": "other", "safety": {"status": "unknown", "findings": []}}]
	r := run_modelsafe(t.manifest, arts, t.cfg)
	"unknown-format" in t.rule_names(r.warn)
	count(r.deny) == 0
}

test_deny_evidence_unknown_status_when_policy_says_deny if {
	arts := [{"path": "model/weights.xyz", "format": "other", "safety": {"status": "unknown", "findings": []}}]
	c := json.patch(t.cfg, [{"op": "replace", "path": "/modelsafe/unknown_status", "value": "deny"}])
	"unknown-format" in t.rule_names(run_modelsafe(t.manifest, arts, c).deny)
}

test_warn_evidence_safe_pickle_still_discouraged if {
	arts := [{"path": "model/model.pkl", "format": "pickle", "safety": {"status": "safe", "scanner": "fickling", "findings": []}}]
	r := run_modelsafe(pickle_manifest, arts, t.cfg)
	"pickle-format" in t.rule_names(r.warn)
	count(r.deny) == 0
}

test_warn_declared_pickle_not_scanned if {
	r := run_modelsafe(pickle_manifest, null, t.cfg)
	some w in r.warn
	w.rule == "pickle-not-scanned"
	w.basis == "declared"
	count(r.deny) == 0
}

test_deny_declared_pickle_not_scanned_when_policy_says_deny if {
	c := json.patch(t.cfg, [{"op": "replace", "path": "/modelsafe/unscanned_pickle", "value": "deny"}])
	"pickle-not-scanned" in t.rule_names(run_modelsafe(pickle_manifest, null, c).deny)
}

test_warn_declared_format_mismatch if {
	mf := t.with_patch([{"op": "replace", "path": "/model/artifacts/0/path", "value": "model/model.pt"}])
	"format-mismatch" in t.rule_names(run_modelsafe(mf, null, t.cfg).warn)
}

test_basis_declared_without_scan if {
	mf := t.manifest
	modelsafe.basis == "declared" with input.manifest as mf with input.artifacts as null
}

test_basis_evidence_with_scan if {
	mf := t.manifest
	arts := safe_artifacts
	modelsafe.basis == "evidence" with input.manifest as mf with input.artifacts as arts
}
