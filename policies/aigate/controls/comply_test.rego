package aigate.controls.comply_test

import rego.v1

import data.aigate.controls.comply
import data.aigate.testing as t

licenses := {"summary": {"allow": 88, "deny": 0, "review": 0, "unknown": 0}, "denied": [], "review": [], "checked": 88, "total": 88}

run_comply(mf, files, lic) := {"deny": d, "warn": w} if {
	c := t.cfg
	meta := t.aigate_meta
	deps := {"licenses": lic}
	d := comply.deny with input.manifest as mf with input.files as files with input.dependencies as deps with input.aigate as meta with data.aigate.config as c
	w := comply.warn with input.manifest as mf with input.files as files with input.dependencies as deps with input.aigate as meta with data.aigate.config as c
}

test_pass_evidence if {
	r := run_comply(t.manifest, t.files, licenses)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_declared_license_check_not_run if {
	some f in run_comply(t.manifest, t.files, null).deny
	f.rule == "license-check-not-run"
	f.basis == "declared"
}

test_deny_no_risk_class if {
	mf := t.with_patch([{"op": "remove", "path": "/compliance/risk_class"}])
	"no-risk-class" in t.rule_names(run_comply(mf, t.files, licenses).deny)
}

test_deny_prohibited_practice if {
	mf := t.with_patch([{"op": "replace", "path": "/compliance/risk_class", "value": "unacceptable"}])
	"prohibited-practice" in t.rule_names(run_comply(mf, t.files, licenses).deny)
}

test_deny_required_document_not_declared if {
	mf := t.with_patch([{"op": "remove", "path": "/compliance/documents/risk_assessment"}])
	some f in run_comply(mf, t.files, licenses).deny
	f.rule == "document-not-declared"
	contains(f.msg, "high-risk system needs a risk_assessment document")
}

test_pass_minimal_risk_needs_no_documents if {
	mf := t.with_patch([{"op": "replace", "path": "/compliance/risk_class", "value": "minimal"}, {"op": "replace", "path": "/compliance/documents", "value": {}}])
	count(run_comply(mf, t.files, licenses).deny) == 0
}

test_deny_document_missing if {
	some f in run_comply(t.manifest, t.files_without("docs/annex-iv.md"), licenses).deny
	f.rule == "document-missing"
	f.pointer == "/compliance/documents/technical_documentation"
}

test_deny_risk_assessment_stale if {
	files := object.union(t.files, {"docs/risk.md": {"exists": true, "kind": "file", "sha256": "00", "size": 1, "mtime_epoch": t.now - (400 * 86400)}})
	some f in run_comply(t.manifest, files, licenses).deny
	f.rule == "risk-assessment-stale"
	contains(f.msg, "400 days old")
}

test_warn_framework_not_named if {
	mf := t.with_patch([{"op": "replace", "path": "/compliance/frameworks", "value": ["nist-ai-rmf"]}])
	"framework-not-named" in t.rule_names(run_comply(mf, t.files, licenses).warn)
}

test_deny_evidence_license_check_failed if {
	lic := json.patch(licenses, [{"op": "replace", "path": "/summary/deny", "value": 2}])
	"license-check-failed" in t.rule_names(run_comply(t.manifest, t.files, lic).deny)
}

test_deny_evidence_license_check_incomplete if {
	lic := json.patch(licenses, [{"op": "replace", "path": "/checked", "value": 80}])
	"license-check-incomplete" in t.rule_names(run_comply(t.manifest, t.files, lic).deny)
}

test_basis_declared_without_license_evidence if {
	mf := t.manifest
	comply.basis == "declared" with input.manifest as mf with input.dependencies as null
}

test_basis_evidence_with_license_evidence if {
	mf := t.manifest
	deps := {"licenses": licenses}
	comply.basis == "evidence" with input.manifest as mf with input.dependencies as deps
}

test_high_risk_technical_documentation_needs_annex_iv_sections if {
	m := {"compliance": {"risk_class": "high", "frameworks": ["eu-ai-act"], "documents": {"technical_documentation": "docs/td.md"}}}
	files := {"docs/td.md": {"exists": true, "kind": "file", "headings": ["1. General description", "Risk management"], "last_commit_epoch": 1790000000}}
	cfg := {"compliance": {"risk_class_documents": {"high": ["technical_documentation"]}, "required_sections": {"technical_documentation": [{"id": "Annex IV(1)", "any": ["general description"]}, {"id": "Annex IV(8)", "any": ["declaration of conformity"]}]}}}
	ds := comply.deny with input.manifest as m with input.files as files with data.aigate.config as cfg
	missing := {d.msg | some d in ds; d.rule == "document-section-missing"}
	count(missing) == 1
	some msg in missing
	contains(msg, "Annex IV(8)")
}

test_risk_assessment_age_comes_from_git_history if {
	m := {"compliance": {"risk_class": "high", "documents": {"risk_assessment": "docs/risk.md"}}}
	files := {"docs/risk.md": {"exists": true, "kind": "file", "mtime_epoch": 1795000000, "last_commit_epoch": 1700000000}}
	cfg := {"compliance": {"risk_class_documents": {"high": ["risk_assessment"]}}, "thresholds": {"risk_assessment_max_age_days": 365}}
	ds := comply.deny with input.manifest as m with input.files as files with input.aigate.now_epoch as 1795000000 with data.aigate.config as cfg
	some d in ds
	d.rule == "risk-assessment-stale"
}
