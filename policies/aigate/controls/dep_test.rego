package aigate.controls.dep_test

import rego.v1

import data.aigate.controls.dep
import data.aigate.testing as t

sbom := {"spec_version": "1.6", "valid": true, "components_count": 90, "packages_count": 88, "models": [{"name": "fraud-detector", "version": "1.4.0", "sha256": "ab", "path": "model/model.safetensors"}]}

deps := {"lock": {"source": "installed", "packages_count": 1}, "lockfile": {"path": "pylock.toml", "format": "pylock", "packages_count": 88}, "lock_mismatches": []}

run_dep(mf, files, sb, dp) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := dep.deny with input.manifest as mf with input.files as files with input.sbom as sb with input.dependencies as dp with data.aigate.config as c
	w := dep.warn with input.manifest as mf with input.files as files with input.sbom as sb with input.dependencies as dp with data.aigate.config as c
}

test_pass_declared if {
	r := run_dep(t.manifest, t.files, null, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_dep(t.manifest, t.files, sbom, deps)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_warn_declared_no_dependency_file if {
	mf := t.with_patch([{"op": "remove", "path": "/dependencies"}])
	r := run_dep(mf, t.files, null, null)
	count(r.deny) == 0
	some w in r.warn
	w.rule == "no-dependency-file"
	w.basis == "declared"
}

# With evidence, the installed-state lock aigate captured is the record: a warning, not a deny.
test_warn_evidence_no_dependency_file_installed_state if {
	mf := t.with_patch([{"op": "remove", "path": "/dependencies"}])
	dp := json.patch(deps, [{"op": "replace", "path": "/lockfile", "value": null}])
	r := run_dep(mf, t.files, sbom, dp)
	count(r.deny) == 0
	t.rule_names(r.warn) == {"installed-state-only"}
}

test_deny_evidence_no_dependency_record if {
	dp := json.patch(deps, [{"op": "replace", "path": "/lock/packages_count", "value": 0}])
	"no-dependency-record" in t.rule_names(run_dep(t.manifest, t.files, sbom, dp).deny)
}

test_deny_dependency_file_missing if {
	some f in run_dep(t.manifest, t.files_without("pylock.toml"), null, null).deny
	f.rule == "dependency-file-missing"
	f.pointer == "/dependencies/pylock"
}

test_deny_evidence_invalid_sbom if {
	sb := json.patch(sbom, [{"op": "replace", "path": "/valid", "value": false}])
	"sbom-invalid" in t.rule_names(run_dep(t.manifest, t.files, sb, deps).deny)
}

test_deny_evidence_lock_mismatch_bounded if {
	mism := [{"name": sprintf("pkg%v", [i]), "installed": "2.0", "locked": "1.0", "kind": "version"} | some i in numbers.range(1, 5)]
	dp := json.patch(deps, [{"op": "replace", "path": "/lock_mismatches", "value": mism}])
	some f in run_dep(t.manifest, t.files, sbom, dp).deny
	f.rule == "lock-mismatch"
	contains(f.msg, "5 installed package(s)")
	contains(f.msg, "and 2 more")
}

test_deny_evidence_model_not_in_sbom if {
	sb := json.patch(sbom, [{"op": "replace", "path": "/models", "value": []}])
	some f in run_dep(t.manifest, t.files, sb, deps).deny
	f.rule == "model-not-in-sbom"
	f.pointer == "/model/artifacts/0"
}

test_deny_evidence_model_not_hashed if {
	sb := json.patch(sbom, [{"op": "remove", "path": "/models/0/sha256"}])
	"model-not-hashed" in t.rule_names(run_dep(t.manifest, t.files, sb, deps).deny)
}

test_warn_evidence_installed_state_only if {
	dp := json.patch(deps, [{"op": "replace", "path": "/lockfile", "value": null}])
	"installed-state-only" in t.rule_names(run_dep(t.manifest, t.files, sbom, dp).warn)
}

test_basis_declared_without_sbom if {
	mf := t.manifest
	dp := deps
	dep.basis == "declared" with input.manifest as mf with input.sbom as null with input.dependencies as dp
}

test_basis_evidence_with_sbom_and_dependencies if {
	mf := t.manifest
	sb := sbom
	dp := deps
	dep.basis == "evidence" with input.manifest as mf with input.sbom as sb with input.dependencies as dp
}

test_unhashed_requirements_warn if {
	lf := {"path": "requirements.txt", "format": "requirements", "packages_count": 88, "hashed": false}
	dp := json.patch(deps, [{"op": "replace", "path": "/lockfile", "value": lf}])
	ws := dep.warn with input.dependencies as dp with input.sbom as sbom
	some w in ws
	w.rule == "lockfile-unhashed"
	contains(w.msg, "requirements.txt pins versions but not artifacts")
}

test_hashed_lock_does_not_warn if {
	ws := dep.warn with input.dependencies as deps with input.sbom as sbom
	every w in ws {
		w.rule != "lockfile-unhashed"
	}
}
