# METADATA
# title: Rollback plans
# description: >-
#   The release names the earlier version to roll back to; that version's evidence bundle exists,
#   verifies, and recorded a passing decision; and a rollback runbook exists.
# custom:
#   id: ROLLBACK
#   level: 2
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 15(4)", "Art. 20(1)"]
#     nist_ai_rmf: ["MANAGE 2.3", "MANAGE 2.4", "MANAGE 4.1"]
#     iso_42001: ["A.6.2.5", "A.6.2.6"]
package aigate.controls.rollback

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["history", "rollback_target"], null) != null

rb := util.obj(["rollback"])

target := object.get(rb, "target", null)

deny contains f if {
	not is_string(target)
	f := {
		"rule": "no-rollback-target",
		"msg": "no rollback plan: rollback.target is not declared. Name the earlier release to return to (`aigate rollback --bundles DIR` lists candidates) and set rollback.target and rollback.bundle",
		"pointer": "/rollback",
	}
}

deny contains f if {
	is_string(target)
	target == util.m(["model", "version"])
	f := {
		"rule": "target-is-this-release",
		"msg": util.say("rollback.target %s is this release's own version; name an earlier release", [target]),
		"pointer": "/rollback/target",
	}
}

deny contains f if {
	not is_string(object.get(rb, "runbook", null))
	f := {
		"rule": "no-rollback-runbook",
		"msg": "rollback.runbook is not declared; write the steps to roll back (who, how, how to verify) and set rollback.runbook",
		"pointer": "/rollback",
	}
}

deny contains f if {
	some key in ["runbook", "bundle"]
	p := object.get(rb, key, null)
	util.missing_file(p)
	f := {
		"rule": "rollback-file-missing",
		"msg": util.say("rollback.%s names %s, which does not exist; add it or fix the path", [key, p]),
		"pointer": util.say("/rollback/%s", [key]),
	}
}

warn contains f if {
	is_string(target)
	not is_string(object.get(rb, "bundle", null))
	f := {
		"rule": "no-target-bundle",
		"msg": util.say("rollback.bundle is not declared, so nothing proves release %s passed the gate; point it at that release's evidence bundle", [target]),
		"pointer": "/rollback",
	}
}

# --- evidence: input.history.rollback_target -------------------------------------------------

rt := object.get(input, ["history", "rollback_target"], null)

reason_suffix(x) := util.say(" (%s)", [x.reason]) if is_string(object.get(x, "reason", null))

else := ""

deny contains f if {
	rt != null
	util.get(rt, "found", false) != true
	f := {
		"rule": "target-bundle-not-found",
		"msg": concat("", [
			util.say("the evidence bundle of rollback target %s was not found", [util.get(rt, "version", target)]),
			reason_suffix(rt),
			"; set rollback.bundle to that release's bundle, or name a release whose bundle you have (`aigate rollback --bundles DIR`)",
		]),
		"pointer": "/rollback/bundle",
	}
}

deny contains f if {
	rt != null
	util.get(rt, "found", false) == true
	some key, text in {
		"verified": "does not verify (changed, incomplete or badly signed)",
		"passed": "recorded a failing decision",
	}
	util.get(rt, key, false) != true
	f := {
		"rule": util.say("target-bundle-not-%s", [key]),
		"msg": concat("", [
			util.say("the evidence bundle of rollback target %s %s", [util.get(rt, "version", target), text]),
			reason_suffix(rt),
			"; roll back only to a release whose bundle verifies and passed (see `aigate rollback`)",
		]),
		"pointer": "/rollback/bundle",
	}
}

deny contains f if {
	rt != null
	util.get(rt, "found", false) == true
	is_string(target)
	v := util.get(rt, "version", null)
	is_string(v)
	v != target
	f := {
		"rule": "target-bundle-version-mismatch",
		"msg": util.say("rollback.bundle holds release %s but rollback.target is %s; point the bundle at the target's release", [v, target]),
		"pointer": "/rollback/bundle",
	}
}
