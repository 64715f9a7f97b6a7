# METADATA
# title: Resilience design
# description: >-
#   The deployment can degrade safely: a fallback model (with its own passing evidence bundle) or
#   a kill switch that brings the system to a safe stop is declared, and an incident runbook
#   exists.
# custom:
#   id: RESILIENCE
#   level: 3
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 14(4)(e)", "Art. 15(4)"]
#     nist_ai_rmf: ["GOVERN 6.2", "MANAGE 2.4", "MEASURE 2.6"]
#     iso_42001: ["A.6.2.6", "A.9.2"]
package aigate.controls.resilience

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["history", "fallback"], null) != null

res := util.obj(["resilience"])

fallback := object.get(res, "fallback", null)

kill_switch_on if object.get(res, ["kill_switch", "enabled"], false) == true

deny contains f if {
	fallback == null
	not kill_switch_on
	f := {
		"rule": "no-degraded-mode",
		"msg": "neither a fallback model nor a kill switch is declared; declare resilience.fallback (a model with its own passing bundle) or resilience.kill_switch {enabled: true, mechanism: ...}",
		"pointer": "/resilience",
	}
}

deny contains f if {
	not is_string(object.get(res, "runbook", null))
	f := {
		"rule": "no-incident-runbook",
		"msg": "resilience.runbook is not declared; write the incident runbook (how to detect, disable, fall back, communicate) and set resilience.runbook",
		"pointer": "/resilience",
	}
}

deny contains f if {
	some p in [object.get(res, "runbook", null), object.get(res, ["fallback", "bundle"], null)]
	util.missing_file(p)
	f := {
		"rule": "resilience-file-missing",
		"msg": util.say("%s, named under resilience, does not exist; add it or fix the path", [p]),
		"pointer": "/resilience",
	}
}

warn contains f if {
	fallback != null
	not is_string(object.get(fallback, "bundle", null))
	f := {
		"rule": "fallback-without-bundle",
		"msg": util.say("fallback model %v has no evidence bundle declared; set resilience.fallback.bundle so its passing gate decision can be checked", [object.get(fallback, "model", "?")]),
		"pointer": "/resilience/fallback",
	}
}

warn contains f if {
	kill_switch_on
	not util.declared(["resilience", "kill_switch", "mechanism"])
	f := {
		"rule": "kill-switch-mechanism-undeclared",
		"msg": "the kill switch has no mechanism described; say how it is operated (resilience.kill_switch.mechanism)",
		"pointer": "/resilience/kill_switch",
	}
}

# --- evidence: the fallback release's bundle (input.history.fallback: {version, found, verified, passed}) ---

fb := object.get(input, ["history", "fallback"], null)

deny contains f if {
	fb != null
	some key, text in {
		"found": "was not found",
		"verified": "does not verify",
		"passed": "recorded a failing decision",
	}
	object.get(fb, key, false) != true
	f := {
		"rule": util.say("fallback-bundle-not-%s", [key]),
		"msg": util.say("the evidence bundle of fallback model %v %v %s; a fallback must itself have passed the gate", [object.get(fallback, "model", "?"), object.get(fb, "version", ""), text]),
		"pointer": "/resilience/fallback/bundle",
	}
}
