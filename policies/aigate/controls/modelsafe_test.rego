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
	arts := [{"path": "model/model.pkl", "kind": "model", "format": "pickle", "safety": {"status": "unsafe", "scanner": "aigate-pickle", "findings": [{"file": "model/model.pkl", "severity": "unsafe", "problems": [{"member": "model/model.pkl", "offset": 9, "message": "STACK_GLOBAL imports a name computed at load time"}]}]}}]
	some f in run_modelsafe(pickle_manifest, arts, t.cfg).deny
	f.rule == "unsafe-model-file"
	contains(f.msg, "computed at load time")
	contains(f.msg, "model/model.pkl")
}

test_deny_evidence_scan_error if {
	arts := [{"path": "model/model.pkl", "format": "pickle", "safety": {"status": "error", "scanner": "aigate-pickle", "findings": ["truncated pickle"]}}]
	"scan-error" in t.rule_names(run_modelsafe(pickle_manifest, arts, t.cfg).deny)
}

allow_cfg := json.patch(t.cfg, [
	{"op": "add", "path": "/modelsafe/allow_globals", "value": ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "acme.models.*", "builtins.set"]},
	{"op": "add", "path": "/modelsafe/sklearn_globals", "value": ["sklearn.*"]},
])

ms_imports_art(gs) := [{"path": "model/m.pt", "format": "pytorch", "files": [{"path": "model/m.pt", "format": "pytorch"}], "safety": {"status": "imports", "scanner": "aigate-pickle", "findings": [{"file": "model/m.pt", "severity": "imports", "imports": gs, "problems": []}]}}]

ms_g(module, name) := {"callable": concat(".", [module, name]), "module": module, "name": name, "member": "model/m.pt!archive/data.pkl", "offset": 42, "called": true}

test_pass_allowed_globals if {
	r := run_modelsafe(pickle_manifest, ms_imports_art([ms_g("collections", "OrderedDict"), ms_g("torch._utils", "_rebuild_tensor_v2"), ms_g("acme.models.tree", "Forest")]), allow_cfg)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_global_outside_allowlist_names_member_offset_callable if {
	some f in run_modelsafe(pickle_manifest, ms_imports_art([ms_g("collections", "OrderedDict"), ms_g("posix", "system")]), allow_cfg).deny
	f.rule == "disallowed-global"
	contains(f.msg, "posix.system")
	contains(f.msg, "model/m.pt!archive/data.pkl")
	contains(f.msg, "offset 42")
	contains(f.msg, "safetensors")
	contains(f.msg, "allow_globals")
	not contains(f.msg, "OrderedDict")
}

test_prefix_admits_classes_only if {
	r := run_modelsafe(pickle_manifest, ms_imports_art([ms_g("acme.models", "load_anything")]), allow_cfg)
	"disallowed-global" in t.rule_names(r.deny)
}

test_prefix_never_admits_loaders if {
	loader := object.union(ms_g("acme.models", "Loader"), {"loader": true})
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([loader]), allow_cfg).deny)
}

test_prefix_never_admits_blocked_roots if {
	c := json.patch(allow_cfg, [{"op": "add", "path": "/modelsafe/allow_globals_extra", "value": ["os.*", "builtins.*"]}])
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([ms_g("os", "Popen")]), c).deny)
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([ms_g("builtins", "Exception")]), c).deny)
}

test_extra_globals_extend_the_defaults if {
	c := json.patch(allow_cfg, [{"op": "add", "path": "/modelsafe/allow_globals_extra", "value": ["numpy.log"]}])
	count(run_modelsafe(pickle_manifest, ms_imports_art([ms_g("numpy", "log"), ms_g("builtins", "set")]), c).deny) == 0
}

test_sklearn_is_opt_in if {
	est := ms_g("sklearn.linear_model._logistic", "LogisticRegression")
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([est]), allow_cfg).deny)
	c := json.patch(allow_cfg, [{"op": "add", "path": "/modelsafe/allow_sklearn", "value": true}])
	count(run_modelsafe(pickle_manifest, ms_imports_art([est]), c).deny) == 0
}

test_dotted_attribute_path_needs_exact_entry if {
	dotted := {"callable": "collections:OrderedDict.fromkeys", "module": "collections", "name": "OrderedDict.fromkeys", "member": "m", "offset": 1}
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([dotted]), allow_cfg).deny)
}

test_deny_truncated_findings if {
	arts := [{"path": "model", "format": "pytorch", "safety": {"status": "imports", "findings": [], "findings_truncated": 3}}]
	"scan-truncated" in t.rule_names(run_modelsafe(pickle_manifest, arts, allow_cfg).deny)
}

test_deny_declared_pickle_that_is_unclassified if {
	mf := t.with_patch([{"op": "replace", "path": "/model/format", "value": "pickle"}, {"op": "replace", "path": "/model/artifacts/0/path", "value": "model/m.model"}])
	arts := [{"path": "model/m.model", "format": "unknown", "files": [{"path": "model/m.model", "format": "unknown"}], "safety": {"status": "unknown", "findings": []}}]
	r := run_modelsafe(mf, arts, allow_cfg)
	"unclassified-pickle" in t.rule_names(r.deny)
}

test_warn_torchscript_program if {
	arts := [{"path": "model/m.pt", "format": "torchscript", "safety": {"status": "safe", "findings": [{"file": "model/m.pt", "severity": "safe", "imports": [], "problems": [], "notes": ["TorchScript archive"]}]}}]
	"model-program" in t.rule_names(run_modelsafe(pickle_manifest, arts, allow_cfg).warn)
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

test_deny_malformed_import_entries if {
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art(["posix.system"]), allow_cfg).deny)
}

test_prefix_admits_private_classes_not_private_functions if {
	count(run_modelsafe(pickle_manifest, ms_imports_art([ms_g("acme.models.binning", "_BinMapper")]), allow_cfg).deny) == 0
	"disallowed-global" in t.rule_names(run_modelsafe(pickle_manifest, ms_imports_art([ms_g("acme.models", "_load")]), allow_cfg).deny)
}
