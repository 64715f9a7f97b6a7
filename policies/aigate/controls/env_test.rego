package aigate.controls.env_test

import rego.v1

import data.aigate.controls.env
import data.aigate.testing as t

env_doc := {
	"python": {"implementation": "CPython", "version": "3.11.7"},
	"platform": {"system": "Linux"},
	"container": {"image": "registry.example.com/fraud", "digest": "sha256:0f3e1f5c4b8a9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"},
	"git": {"commit": "abc123", "dirty": false},
	"runtime_files": {"serving/config.yaml": "00"},
}

# regopy: `with ... as` must name a local variable or literal (a rule reference silently makes
# the expression undefined), and a function's value cannot carry `with`: bind inside the body.
run_env_deny(mf, files, ev) := out if {
	c := t.cfg
	out := env.deny with input.manifest as mf with input.files as files with input.environment as ev with data.aigate.config as c
}

run_env_warn(mf, files, ev) := out if {
	c := t.cfg
	out := env.warn with input.manifest as mf with input.files as files with input.environment as ev with data.aigate.config as c
}

test_pass_declared if {
	count(run_env_deny(t.manifest, t.files, null)) == 0
	count(run_env_warn(t.manifest, t.files, null)) == 0
}

test_pass_evidence if {
	count(run_env_deny(t.manifest, t.files, env_doc)) == 0
	count(run_env_warn(t.manifest, t.files, env_doc)) == 0
}

test_deny_unpinned_image if {
	mf := t.with_patch([{"op": "replace", "path": "/serving/image", "value": "registry.example.com/fraud:latest"}])
	some f in run_env_deny(mf, t.files, null)
	f.rule == "image-not-pinned"
	f.pointer == "/serving/image"
	contains(f.msg, "registry.example.com/fraud:latest")
}

test_deny_missing_image if {
	mf := t.with_patch([{"op": "remove", "path": "/serving/image"}])
	"image-missing" in t.rule_names(run_env_deny(mf, t.files, null))
}

test_deny_runtime_file_missing if {
	some f in run_env_deny(t.manifest, t.files_without("serving/config.yaml"), null)
	f.rule == "runtime-file-missing"
	f.pointer == "/serving/runtime_files/0"
}

test_warn_no_serving_section if {
	mf := t.with_patch([{"op": "remove", "path": "/serving"}])
	"no-serving-section" in t.rule_names(run_env_warn(mf, t.files, null))
	count(run_env_deny(mf, t.files, null)) == 0
}

test_deny_evidence_digest_mismatch if {
	ev := json.patch(env_doc, [{"op": "replace", "path": "/container/digest", "value": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}])
	"image-digest-mismatch" in t.rule_names(run_env_deny(t.manifest, t.files, ev))
}

test_deny_evidence_incomplete if {
	ev := object.remove(env_doc, ["python"])
	"environment-incomplete" in t.rule_names(run_env_deny(t.manifest, t.files, ev))
}

test_deny_evidence_runtime_file_not_captured if {
	ev := object.remove(env_doc, ["runtime_files"])
	"runtime-file-not-captured" in t.rule_names(run_env_deny(t.manifest, t.files, ev))
}

test_warn_evidence_dirty if {
	ev := json.patch(env_doc, [{"op": "replace", "path": "/git/dirty", "value": true}])
	"dirty-worktree" in t.rule_names(run_env_warn(t.manifest, t.files, ev))
}

# Declared-only checks never look at evidence keys, so a clean manifest stays "declared".
test_basis_declared_without_environment if {
	mf := t.manifest
	env.basis == "declared" with input.manifest as mf with input.environment as null
}

test_basis_evidence_with_environment if {
	mf := t.manifest
	ev := env_doc
	env.basis == "evidence" with input.manifest as mf with input.environment as ev
}
