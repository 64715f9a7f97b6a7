# METADATA
# title: Access restrictions
# description: >-
#   Access to the model is restricted: the endpoint is not public and anonymous, roles with
#   explicit permissions are named, and no role or Kubernetes/IaC grant uses wildcards.
# custom:
#   id: RBAC
#   level: 2
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 15(5)"]
#     nist_ai_rmf: ["MEASURE 2.7", "GOVERN 1.4"]
#     iso_42001: ["A.6.2.6", "A.9.2"]
package aigate.controls.rbac

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["reports", "kubernetes"], null) != null

endpoint := util.obj(["serving", "endpoint"])

visibility := object.get(endpoint, "visibility", null)

auth := object.get(endpoint, "auth", null)

roles := util.arr(["access", "roles"])

deny contains f if {
	visibility == "public"
	auth == "none"
	f := {
		"rule": "public-anonymous-endpoint",
		"msg": "the endpoint is public and accepts anonymous calls (serving.endpoint.visibility: public, auth: none); require oidc, mtls or api-key authentication, or make it internal",
		"pointer": "/serving/endpoint/auth",
	}
}

deny contains f if {
	util.declared(["serving", "endpoint"])
	not is_string(auth)
	f := {
		"rule": "endpoint-auth-undeclared",
		"msg": "serving.endpoint.auth is not declared; state how callers authenticate (oidc, mtls or api-key)",
		"pointer": "/serving/endpoint",
	}
}

warn contains f if {
	visibility != "public"
	auth == "none"
	f := {
		"rule": "internal-anonymous-endpoint",
		"msg": "the internal endpoint accepts anonymous calls (auth: none); network position is not identity. Prefer mtls or oidc",
		"pointer": "/serving/endpoint/auth",
	}
}

deny contains f if {
	count(roles) == 0
	f := {
		"rule": "no-roles",
		"msg": "no access roles are named; list who may call or operate the model under access.roles (name and permissions)",
		"pointer": "/access",
	}
}

deny contains f if {
	some i, r in roles
	some j, p in object.get(r, "permissions", [])
	contains(p, "*")
	f := {
		"rule": "wildcard-permission",
		"msg": util.say("role %s grants the wildcard permission %s; list the permissions it needs (e.g. predict, read-logs)", [object.get(r, "name", "?"), p]),
		"pointer": util.say("/access/roles/%v/permissions/%v", [i, j]),
	}
}

deny contains f if {
	some i, r in roles
	count(object.get(r, "permissions", [])) == 0
	f := {
		"rule": "role-without-permissions",
		"msg": util.say("role %s names no permissions; say what the role may do", [object.get(r, "name", "?")]),
		"pointer": util.say("/access/roles/%v", [i]),
	}
}

deny contains f if {
	some i, p in util.arr(["access", "kubernetes_manifests"])
	util.missing_file(p)
	f := {
		"rule": "kubernetes-manifest-missing",
		"msg": util.say("access.kubernetes_manifests[%v] names %s, which does not exist; add it or fix the path", [i, p]),
		"pointer": util.say("/access/kubernetes_manifests/%v", [i]),
	}
}

# --- evidence: parsed Kubernetes/IaC manifests ------------------------------------------------
# input.reports.kubernetes: {documents: n, wildcard_grants: [{file, kind, name, detail}]}

deny contains f if {
	some g in object.get(input, ["reports", "kubernetes", "wildcard_grants"], [])
	f := {
		"rule": "kubernetes-wildcard-grant",
		"msg": util.say("%v %v in %v grants wildcards (%v); grant the specific verbs and resources the model needs", [object.get(g, "kind", "?"), object.get(g, "name", "?"), object.get(g, "file", "?"), object.get(g, "detail", "*")]),
		"pointer": "/access/kubernetes_manifests",
	}
}
