# METADATA
# title: Dependency and model licenses are allowed
# description: >-
#   Every dependency's and the model's SPDX license expression is allowed by the organisation's
#   lists (OR: any alternative allowed; AND: every part allowed); forbidden licenses deny and
#   unknown or review-listed ones need legal review.
# custom:
#   id: LICENSE
#   kind: extension
#   references:
#     eu_ai_act: ["Art. 53(1)(c)", "Annex IV(2)(a)"]
#     nist_ai_rmf: ["GOVERN 6.1", "MAP 4.1"]
#     iso_42001: ["A.10.3"]
package aigate.controls.license

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["dependencies", "licenses"], null) != null

lic := object.get(input, ["dependencies", "licenses"], null)

allow := {x | some x in util.conf(["licenses", "allow"], [])}

deny_list := {x | some x in util.conf(["licenses", "deny"], [])}

review := {x | some x in util.conf(["licenses", "review"], [])}

max_n := util.conf(["thresholds", "max_listed_items"], 10)

describe(p) := util.say("%v %v (%v: %v)", [object.get(p, "name", "?"), object.get(p, "version", ""), object.get(p, "expression", "no license"), p.reason]) if {
	is_string(object.get(p, "reason", null))
} else := util.say("%v %v (%v)", [object.get(p, "name", "?"), object.get(p, "version", ""), object.get(p, "expression", "no license")])

# --- evidence: the license collector's verdicts --------------------------------------------------

deny contains f if {
	some p in util.first_n(util.get(lic, "denied", []), max_n)
	f := {
		"rule": "license-denied",
		"msg": util.say("%s is not allowed by policy (%v); replace the package or ask for a time-limited waiver", [describe(p), object.get(p, "reason", "forbidden license")]),
		"pointer": "/dependencies",
	}
}

# the collector caps its lists; the counts are whole
denied_total := util.get(lic, "denied_count", count(util.get(lic, "denied", [])))

review_total := util.get(lic, "review_count", count(util.get(lic, "review", [])))

deny contains f if {
	denied_total > max_n
	f := {
		"rule": "license-denied",
		"msg": util.say("%v more package(s) have forbidden licenses; see licenses.json", [denied_total - max_n]),
		"pointer": "/dependencies",
	}
}

warn contains f if {
	reviews := util.get(lic, "review", [])
	review_total > 0
	shown := [describe(p) | some p in util.first_n(reviews, max_n)]
	f := {
		"rule": "license-review",
		"msg": concat("", [
			util.say("%v package(s) need license review: ", [review_total]),
			util.listing(shown, review_total),
			". Ask legal to classify these licenses in policy data (licenses.allow/deny)",
		]),
		"pointer": "/dependencies",
	}
}

deny contains f if {
	lic != null
	util.get(lic, "checked", 0) < util.get(lic, "total", 0)
	f := {
		"rule": "license-check-incomplete",
		"msg": util.say("only %v of %v packages had their license evaluated; the check must cover every package", [util.get(lic, "checked", 0), util.get(lic, "total", 0)]),
	}
}

# --- declared: no dependency evidence in this run -------------------------------------------

warn contains f if {
	lic == null
	f := {
		"rule": "licenses-not-checked",
		"msg": "dependency licenses were not checked in this run (no dependency evidence); the full check evaluates every package's SPDX expression",
		"basis": "declared",
	}
}

# --- the model's own license (model.license), a single SPDX id checked here -------------------

model_license := util.m(["model", "license"])

deny contains f if {
	is_string(model_license)
	deny_list[model_license]
	f := {
		"rule": "model-license-denied",
		"msg": util.say("the model's license %s is forbidden by policy; use a model under an allowed license", [model_license]),
		"pointer": "/model/license",
	}
}

warn contains f if {
	is_string(model_license)
	not deny_list[model_license]
	not allow[model_license]
	f := {
		"rule": "model-license-review",
		"msg": util.say("the model's license %s is not on the allow list; it needs legal review (policy data licenses.allow)", [model_license]),
		"pointer": "/model/license",
	}
}

warn contains f if {
	not is_string(model_license)
	f := {
		"rule": "model-license-undeclared",
		"msg": "model.license is not declared; state the model's SPDX license so it can be checked",
		"pointer": "/model",
	}
}
