# METADATA
# title: Approval workflows
# description: >-
#   The release is approved by enough distinct people in each role the organisation requires,
#   with cryptographically signed sign-offs bound to this model and manifest, not by its own
#   authors, and newer than the last change to model, manifest or policy.
# custom:
#   id: APPROVAL
#   level: 2
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 17(1)(a)", "Art. 17(1)(m)", "Annex IV(2)(g)"]
#     nist_ai_rmf: ["GOVERN 1.4", "GOVERN 2.1", "MANAGE 1.1"]
#     iso_42001: ["A.3.2", "A.6.2.5"]
package aigate.controls.approval

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if util.present("signoffs")

required_roles := util.conf(["approvals", "required_roles"], [])

configured_roles := util.conf(["approvals", "roles"], {})

policy_change_role := util.conf(["approvals", "policy_change_role"], null)

signoffs := object.get(input, "signoffs", null)

max_n := util.conf(["thresholds", "max_listed_items"], 10)

# --- no evidence: sign-offs were not verified in this run --------------------------------------
# The manifest cannot declare its own approval: without verified signatures this control fails.

deny contains f if {
	not util.present("signoffs")
	f := {
		"rule": "signoffs-not-verified",
		"msg": concat("", [
			"sign-offs were not verified in this run (required roles: ",
			concat(", ", required_roles),
			"); record them with `aigate approve --role ROLE` and run the full check in the repository",
		]),
		"basis": "declared",
	}
}

# Policy data must make approval possible at all: a required role with no members can never pass.
deny contains f if {
	some role in required_roles
	count(object.get(configured_roles, [role, "members"], [])) == 0
	f := {
		"rule": "role-has-no-members",
		"msg": util.say("required approver role %s has no members with keys in policy data; the organisation must list its approvers (approvals.roles.%s.members)", [role, role]),
	}
}

deny contains f if {
	some role in required_roles
	not configured_roles[role]
	f := {
		"rule": "role-not-configured",
		"msg": util.say("required approver role %s is not defined under approvals.roles in policy data", [role]),
	}
}

# --- evidence: input.signoffs ----------------------------------------------------------------

role_state(role) := object.get(signoffs, ["roles", role], {})

# The sign-off collector lists every unmet requirement in `missing` (docs/signoffs.md); older
# or other collectors may only give per-role states, which the rules after these read.
missing := object.get(signoffs, "missing", null) if is_object(signoffs)

# " (FILE, ...)": the policy files (policy data, policies, a key the policy data names) changed in the range
changed_policy_files := util.say(" (%s)", [concat(", ", names)]) if {
	is_object(signoffs)
	names := [p | some p in object.get(signoffs, "policy_change_paths", []); is_string(p)]
	count(names) > 0
}

else := ""

deny contains f if {
	is_array(missing)
	some e in missing
	object.get(e, "policy_change", false) != true
	role := object.get(e, "role", "?")
	f := {
		"rule": "role-not-satisfied",
		"msg": util.say("role %v has %v of %v required signed approval(s) for this model and manifest; ask a listed %v to run `aigate approve --role %v`", [role, object.get(e, "counted", 0), object.get(e, "quorum", 1), role, role]),
	}
}

deny contains f if {
	is_array(missing)
	some e in missing
	object.get(e, "policy_change", false) == true
	f := {
		"rule": "policy-change-unapproved",
		"msg": util.say("this release changes policy data or the approvers list%s; it needs an additional approval from role %v (%v of %v counted)", [changed_policy_files, object.get(e, "role", policy_change_role), object.get(e, "counted", 0), object.get(e, "quorum", 1)]),
	}
}

deny contains f if {
	util.present("signoffs")
	not is_array(missing)
	some role in required_roles
	state := role_state(role)
	object.get(state, "satisfied", false) != true
	quorum := object.get(state, "quorum", object.get(configured_roles, [role, "quorum"], 1))
	f := {
		"rule": "role-not-satisfied",
		"msg": util.say("role %s has %v of %v required signed approval(s) for this model and manifest; ask a listed %s to run `aigate approve --role %s`", [role, object.get(state, "counted", 0), quorum, role, role]),
	}
}

deny contains f if {
	util.present("signoffs")
	not is_array(missing)
	object.get(signoffs, "policy_change", false) == true
	is_string(policy_change_role)
	object.get(role_state(policy_change_role), "satisfied", false) != true
	f := {
		"rule": "policy-change-unapproved",
		"msg": util.say("this release changes policy data or the approvers list%s; it needs an additional approval from role %s", [changed_policy_files, policy_change_role]),
	}
}

deny contains f if {
	util.present("signoffs")
	object.get(signoffs, "satisfied", false) != true
	count(object.get(signoffs, "missing", [])) == 0
	every role in required_roles {
		object.get(role_state(role), "satisfied", false) == true
	}
	f := {
		"rule": "signoffs-unsatisfied",
		"msg": "the sign-off collector reports the approval requirements as unmet; see signoffs.json for each approval and why it did or did not count",
	}
}

# who an approval is from: the verified signer, else who the record claims to be (an
# unverified signature has no signer), else "unknown signer"
approval_who(a) := a.signer if is_string(a.signer)

else := concat("", [a.claimed_by, " (unverified)"]) if is_string(a.claimed_by)

else := "unknown signer"

warn contains f if {
	util.present("signoffs")
	rejected := [a | some a in object.get(signoffs, "approvals", []); object.get(a, "counted", false) != true]
	count(rejected) > 0
	shown := [util.say("%v for %v: %v", [approval_who(a), object.get(a, "role", "?"), object.get(a, "reason", "not counted")]) | some a in util.first_n(rejected, max_n)]
	f := {
		"rule": "approvals-not-counted",
		"msg": concat("", [util.say("%v approval record(s) did not count: ", [count(rejected)]), util.listing(shown, count(rejected))]),
	}
}

# The range is only evidence when a verified previous release anchors it (docs/signoffs.md):
# without one it is the whole history (basis "none") or a --since the pipeline chose ("declared").
warn contains f if {
	util.present("signoffs")
	basis := object.get(signoffs, ["range", "basis"], "evidence")
	basis != "evidence"
	f := {
		"rule": "range-not-anchored",
		"msg": util.say("the release range is declared, not anchored (basis %v): no verified previous release names its base, so it runs over the whole history or from --since; pass the earlier releases' bundles (--bundles)", [basis]),
		"basis": "declared",
	}
}
