package aigate.controls.license_test

import rego.v1

import data.aigate.controls.license
import data.aigate.testing as t

clean := {"summary": {"allow": 88, "deny": 0, "review": 0, "unknown": 0}, "denied": [], "review": [], "checked": 88, "total": 88}

run_license(mf, lic) := {"deny": d, "warn": w} if {
	c := t.cfg
	deps := {"licenses": lic}
	d := license.deny with input.manifest as mf with input.dependencies as deps with data.aigate.config as c
	w := license.warn with input.manifest as mf with input.dependencies as deps with data.aigate.config as c
}

test_pass_evidence if {
	r := run_license(t.manifest, clean)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_warn_declared_not_checked if {
	r := run_license(t.manifest, null)
	count(r.deny) == 0
	some w in r.warn
	w.rule == "licenses-not-checked"
	w.basis == "declared"
}

test_deny_evidence_denied_package if {
	lic := json.patch(clean, [{"op": "replace", "path": "/denied", "value": [{"name": "ghostscript-py", "version": "1.0", "expression": "AGPL-3.0-only", "reason": "AGPL-3.0-only is denied"}]}])
	some f in run_license(t.manifest, lic).deny
	f.rule == "license-denied"
	contains(f.msg, "ghostscript-py 1.0 (AGPL-3.0-only: AGPL-3.0-only is denied)")
}

test_deny_evidence_many_denied_is_bounded if {
	denied := [{"name": sprintf("p%v", [i]), "version": "1", "expression": "AGPL-3.0-only"} | some i in numbers.range(1, 7)]
	lic := json.patch(clean, [{"op": "replace", "path": "/denied", "value": denied}])
	d := run_license(t.manifest, lic).deny
	count(d) == 4
	some f in d
	contains(f.msg, "4 more package(s)")
}

test_warn_evidence_review if {
	lic := json.patch(clean, [{"op": "replace", "path": "/review", "value": [{"name": "gplpkg", "version": "2.0", "expression": "GPL-3.0-only"}]}])
	some w in run_license(t.manifest, lic).warn
	w.rule == "license-review"
	contains(w.msg, "gplpkg 2.0 (GPL-3.0-only)")
}

test_deny_evidence_incomplete if {
	lic := json.patch(clean, [{"op": "replace", "path": "/checked", "value": 10}])
	"license-check-incomplete" in t.rule_names(run_license(t.manifest, lic).deny)
}

test_deny_model_license_denied if {
	mf := t.with_patch([{"op": "replace", "path": "/model/license", "value": "AGPL-3.0-only"}])
	"model-license-denied" in t.rule_names(run_license(mf, clean).deny)
}

test_warn_model_license_review if {
	mf := t.with_patch([{"op": "replace", "path": "/model/license", "value": "LicenseRef-llama3"}])
	"model-license-review" in t.rule_names(run_license(mf, clean).warn)
}

test_warn_model_license_undeclared if {
	mf := t.with_patch([{"op": "remove", "path": "/model/license"}])
	"model-license-undeclared" in t.rule_names(run_license(mf, clean).warn)
}

test_basis_declared_without_license_evidence if {
	mf := t.manifest
	license.basis == "declared" with input.manifest as mf with input.dependencies as null
}

test_basis_evidence_with_license_evidence if {
	mf := t.manifest
	deps := {"licenses": clean}
	license.basis == "evidence" with input.manifest as mf with input.dependencies as deps
}

test_capped_lists_report_whole_counts if {
	lic := {"summary": {"allow": 0, "deny": 0, "review": 1500, "unknown": 0}, "denied": [], "denied_count": 0,
		"review": [{"name": "p1", "version": "1", "expression": "MPL-2.0", "reason": "review list"}], "review_count": 1500,
		"unknown": [], "unknown_count": 0, "checked": 1500, "total": 1500}
	ws := license.warn with input.dependencies.licenses as lic
	some w in ws
	w.rule == "license-review"
	startswith(w.msg, "1500 package(s) need license review: ")
}
