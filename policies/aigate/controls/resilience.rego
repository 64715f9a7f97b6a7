# METADATA
# title: Resilience design
# description: >-
#   The deployment can degrade safely: a kill switch that brings the system to a safe stop, with
#   a safe-shutdown runbook, and (optionally) a fallback model whose own evidence bundle
#   verifies, passed the gate and is of that model and version; an incident runbook exists.
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

# Policy data: a fallback alone does not suffice unless resilience.require_kill_switch is false
# (the kill switch is the last resort when the fallback fails too); a runbook of fewer bytes than
# resilience.runbook_min_bytes is a stub, not a procedure.
require_kill_switch := util.conf(["resilience", "require_kill_switch"], true)

runbook_min_bytes := util.conf(["resilience", "runbook_min_bytes"], 200)

ks_runbook := object.get(res, ["kill_switch", "runbook"], null)

deny contains f if {
	fallback == null
	not kill_switch_on
	f := {
		"rule": "no-degraded-mode",
		"msg": "neither a fallback model nor a kill switch is declared; declare resilience.kill_switch {enabled: true, mechanism: ..., runbook: ...} (and resilience.fallback, a model with its own passing bundle)",
		"pointer": "/resilience",
	}
}

deny contains f if {
	fallback != null
	not kill_switch_on
	require_kill_switch == true
	f := {
		"rule": "no-kill-switch",
		"msg": "a fallback model is declared but no kill switch; the policy requires one for when the fallback fails too (resilience.kill_switch {enabled: true, mechanism: ..., runbook: ...}, or the organisation sets resilience.require_kill_switch: false)",
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
	kill_switch_on
	not is_string(ks_runbook)
	f := {
		"rule": "no-kill-switch-runbook",
		"msg": "the kill switch has no safe-shutdown runbook; write how to operate it, who may, what the callers see and how to verify the stop, and set resilience.kill_switch.runbook",
		"pointer": "/resilience/kill_switch",
	}
}

deny contains f if {
	kill_switch_on
	is_string(ks_runbook)
	util.file_exists(ks_runbook)
	size := util.number_or(object.get(input, ["files", ks_runbook, "size"], null), 0)
	size < runbook_min_bytes
	f := {
		"rule": "kill-switch-runbook-empty",
		"msg": util.say("the safe-shutdown runbook %s has %v bytes, fewer than the %v the policy requires; write the procedure (resilience.runbook_min_bytes)", [ks_runbook, size, runbook_min_bytes]),
		"pointer": "/resilience/kill_switch/runbook",
	}
}

deny contains f if {
	some p in [object.get(res, "runbook", null), ks_runbook, object.get(res, ["fallback", "bundle"], null)]
	util.missing_file(p)
	f := {
		"rule": "resilience-file-missing",
		"msg": util.say("%s, named under resilience, does not exist; add it or fix the path", [p]),
		"pointer": "/resilience",
	}
}

warn contains f if {
	fallback != null
	fb == null
	not is_string(util.get(fallback, "bundle", null))
	f := {
		"rule": "fallback-without-bundle",
		"msg": util.say("fallback model %v has no evidence bundle declared; set resilience.fallback.bundle so its passing gate decision can be checked", [util.get(fallback, "model", "?")]),
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

# --- evidence: the fallback release's own bundle (aigate/collect/history.py) ------------------
# input.history.fallback: {found, verified, passed, model, version, bundle, bundle_digest,
# model_matches, version_matches, reason}; null on the fast path (then the basis is declared).

fb := object.get(input, ["history", "fallback"], null)

fb_model := util.get(fallback, "model", "?")

fb_reason(x) := util.say(" (%v)", [x.reason]) if is_string(util.get(x, "reason", null))

else := ""

deny contains f if {
	fb != null
	util.get(fb, "found", false) != true
	f := {
		"rule": "fallback-bundle-not-found",
		"msg": concat("", [
			util.say("the evidence bundle of fallback model %v %v was not found", [fb_model, util.get(fallback, "version", "")]),
			fb_reason(fb),
			"; set resilience.fallback.bundle to the fallback release's bundle (or pass --bundles with a store holding it): a fallback must itself have passed the gate",
		]),
		"pointer": "/resilience/fallback",
	}
}

deny contains f if {
	fb != null
	util.get(fb, "found", false) == true
	util.get(fb, "verified", false) != true
	f := {
		"rule": "fallback-bundle-not-verified",
		"msg": concat("", [
			util.say("the evidence bundle of fallback model %v %v does not verify (changed, incomplete or signed by someone the history does not trust)", [fb_model, util.get(fallback, "version", "")]),
			fb_reason(fb),
			"; a fallback must itself have passed the gate, and only a verified bundle says so",
		]),
		"pointer": "/resilience/fallback/bundle",
	}
}

deny contains f if {
	fb != null
	util.get(fb, "verified", false) == true
	util.get(fb, "passed", false) != true
	f := {
		"rule": "fallback-bundle-not-passed",
		"msg": util.say("the evidence bundle of fallback model %v %v recorded a failing decision; a fallback must itself have passed the gate", [fb_model, util.get(fb, "version", "")]),
		"pointer": "/resilience/fallback/bundle",
	}
}

deny contains f if {
	fb != null
	util.get(fb, "verified", false) == true
	got := util.get(fb, "model", null)
	got != fb_model
	f := {
		"rule": "fallback-bundle-wrong-model",
		"msg": util.say("the fallback bundle %v is a release of model %v, not of the declared fallback %v; point resilience.fallback.bundle at the fallback model's own bundle", [util.get(fb, "bundle", "?"), got, fb_model]),
		"pointer": "/resilience/fallback/bundle",
	}
}

deny contains f if {
	fb != null
	util.get(fb, "verified", false) == true
	want := util.get(fallback, "version", null)
	want != null
	got := util.get(fb, "version", null)
	got != want
	f := {
		"rule": "fallback-bundle-wrong-version",
		"msg": util.say("the fallback bundle %v holds release %v of %v, but resilience.fallback.version is %v; point the bundle at that release or fix the version", [util.get(fb, "bundle", "?"), got, fb_model, want]),
		"pointer": "/resilience/fallback/bundle",
	}
}
