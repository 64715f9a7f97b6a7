package aigate.controls.rbac_test

import rego.v1

import data.aigate.controls.rbac
import data.aigate.testing as t

run_rbac(mf, files, rep) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := rbac.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := rbac.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

test_pass_declared if {
	r := run_rbac(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_rbac(t.manifest, t.files, {"kubernetes": {"documents": 3, "wildcard_grants": []}})
	count(r.deny) == 0
}

test_deny_public_anonymous_endpoint if {
	mf := t.with_patch([
		{"op": "replace", "path": "/serving/endpoint/visibility", "value": "public"},
		{"op": "replace", "path": "/serving/endpoint/auth", "value": "none"},
	])
	some f in run_rbac(mf, t.files, null).deny
	f.rule == "public-anonymous-endpoint"
	f.pointer == "/serving/endpoint/auth"
}

test_pass_public_with_auth if {
	mf := t.with_patch([{"op": "replace", "path": "/serving/endpoint/visibility", "value": "public"}])
	count(run_rbac(mf, t.files, null).deny) == 0
}

test_warn_internal_anonymous if {
	mf := t.with_patch([{"op": "replace", "path": "/serving/endpoint/auth", "value": "none"}])
	r := run_rbac(mf, t.files, null)
	"internal-anonymous-endpoint" in t.rule_names(r.warn)
	count(r.deny) == 0
}

test_deny_auth_undeclared if {
	mf := t.with_patch([{"op": "remove", "path": "/serving/endpoint/auth"}])
	"endpoint-auth-undeclared" in t.rule_names(run_rbac(mf, t.files, null).deny)
}

test_deny_no_roles if {
	mf := t.with_patch([{"op": "remove", "path": "/access/roles"}])
	"no-roles" in t.rule_names(run_rbac(mf, t.files, null).deny)
}

test_deny_wildcard_permission if {
	mf := t.with_patch([{"op": "add", "path": "/access/roles/-", "value": {"name": "admin", "permissions": ["predict", "*"]}}])
	some f in run_rbac(mf, t.files, null).deny
	f.rule == "wildcard-permission"
	f.pointer == "/access/roles/1/permissions/1"
}

test_deny_role_without_permissions if {
	mf := t.with_patch([{"op": "add", "path": "/access/roles/-", "value": {"name": "viewer"}}])
	"role-without-permissions" in t.rule_names(run_rbac(mf, t.files, null).deny)
}

test_deny_kubernetes_manifest_missing if {
	"kubernetes-manifest-missing" in t.rule_names(run_rbac(t.manifest, t.files_without("deploy/k8s.yaml"), null).deny)
}

test_deny_evidence_kubernetes_wildcard if {
	rep := {"kubernetes": {"documents": 2, "wildcard_grants": [{"file": "deploy/k8s.yaml", "kind": "ClusterRole", "name": "model-admin", "detail": "verbs: [*]"}]}}
	some f in run_rbac(t.manifest, t.files, rep).deny
	f.rule == "kubernetes-wildcard-grant"
	contains(f.msg, "ClusterRole model-admin in deploy/k8s.yaml")
}

test_basis_declared_without_kubernetes_report if {
	mf := t.manifest
	rbac.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_kubernetes_report if {
	mf := t.manifest
	rep := {"kubernetes": {"documents": 1, "wildcard_grants": []}}
	rbac.basis == "evidence" with input.manifest as mf with input.reports as rep
}
