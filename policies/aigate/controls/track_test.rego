package aigate.controls.track_test

import rego.v1

import data.aigate.controls.track
import data.aigate.testing as t

history := {"previous": {"version": "1.3.2", "decision": "pass", "verified": true, "metrics": {}}, "rollback_target": null, "chain": null}

git := {"commit": "abc", "changed_paths": ["model/model.safetensors", "CHANGELOG.md"], "is_repo": true}

run_track(mf, files, hist, g) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := track.deny with input.manifest as mf with input.files as files with input.history as hist with input.git as g with data.aigate.config as c
	w := track.warn with input.manifest as mf with input.files as files with input.history as hist with input.git as g with data.aigate.config as c
}

test_pass_declared if {
	r := run_track(t.manifest, t.files, null, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_track(t.manifest, t.files, history, git)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_no_model_card if {
	mf := t.with_patch([{"op": "remove", "path": "/model/card"}])
	"no-model-card" in t.rule_names(run_track(mf, t.files, null, null).deny)
}

test_deny_model_card_missing if {
	some f in run_track(t.manifest, t.files_without("MODEL_CARD.md"), null, null).deny
	f.rule == "model-card-missing"
	contains(f.msg, "MODEL_CARD.md")
}

test_deny_changelog_missing if {
	"changelog-missing" in t.rule_names(run_track(t.manifest, t.files_without("CHANGELOG.md"), null, null).deny)
}

test_warn_no_changelog_no_owner if {
	mf := t.with_patch([{"op": "remove", "path": "/model/changelog"}, {"op": "remove", "path": "/metadata/owner"}])
	r := run_track(mf, t.files, null, null)
	t.rule_names(r.warn) == {"no-changelog", "no-owner"}
	count(r.deny) == 0
}

test_deny_evidence_version_unchanged if {
	h := json.patch(history, [{"op": "replace", "path": "/previous/version", "value": "1.4.0"}])
	some f in run_track(t.manifest, t.files, h, git).deny
	f.rule == "version-unchanged"
	f.pointer == "/model/version"
}

test_warn_evidence_docs_not_updated if {
	g := json.patch(git, [{"op": "replace", "path": "/changed_paths", "value": ["model/model.safetensors"]}])
	"docs-not-updated" in t.rule_names(run_track(t.manifest, t.files, history, g).warn)
}

test_basis_declared_without_history if {
	mf := t.manifest
	track.basis == "declared" with input.manifest as mf with input.history as null with input.git as null
}

test_basis_evidence_with_history_and_range if {
	mf := t.manifest
	h := history
	g := git
	track.basis == "evidence" with input.manifest as mf with input.history as h with input.git as g
}
