# METADATA
# title: Manual tracking
# description: >-
#   Each release is a tracked, versioned record: the manifest is valid, a model card and a
#   changelog exist, the version differs from the previous release, and the card or changelog
#   was updated in the release's own change range.
# custom:
#   id: TRACK
#   level: 1
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 11(1)", "Art. 18(1)", "Annex IV(1)(a)", "Annex IV(6)"]
#     nist_ai_rmf: ["GOVERN 1.6", "MAP 2.2"]
#     iso_42001: ["A.6.2.3", "A.6.2.7", "A.8.2"]
package aigate.controls.track

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if {
	util.present("history")
	is_array(object.get(input, ["git", "changed_paths"], null))
}

version := util.m(["model", "version"])

card := util.m(["model", "card"])

changelog := util.m(["model", "changelog"])

# --- declared ---------------------------------------------------------------------------------

deny contains f if {
	not is_string(card)
	f := {
		"rule": "no-model-card",
		"msg": "model.card is not declared; write a model card (intended use, training data, evaluation, limitations) and set model.card: MODEL_CARD.md",
		"pointer": "/model",
	}
}

deny contains f if {
	util.missing_file(card)
	f := {
		"rule": "model-card-missing",
		"msg": util.say("model card %s (model.card) does not exist; create it or fix the path", [card]),
		"pointer": "/model/card",
	}
}

warn contains f if {
	not is_string(changelog)
	f := {
		"rule": "no-changelog",
		"msg": "model.changelog is not declared; keep a CHANGELOG.md that says what changed in each model version and set model.changelog",
		"pointer": "/model",
	}
}

deny contains f if {
	util.missing_file(changelog)
	f := {
		"rule": "changelog-missing",
		"msg": util.say("changelog %s (model.changelog) does not exist; create it or fix the path", [changelog]),
		"pointer": "/model/changelog",
	}
}

warn contains f if {
	not util.declared(["metadata", "owner"])
	f := {
		"rule": "no-owner",
		"msg": "metadata.owner is not declared; name the accountable team or person (e.g. an e-mail address)",
		"pointer": "/metadata",
	}
}

# --- evidence: previous release and git range -------------------------------------------------

previous := object.get(input, ["history", "previous"], null)

deny contains f if {
	previous != null
	object.get(previous, "version", null) == version
	f := {
		"rule": "version-unchanged",
		"msg": util.say("model.version %s is the same as the previous release's; bump the version (e.g. semantic versioning) for every release", [version]),
		"pointer": "/model/version",
	}
}

changed := object.get(input, ["git", "changed_paths"], null)

warn contains f if {
	is_array(changed)
	count(changed) > 0
	docs := {p | some p in [card, changelog]; is_string(p)}
	count(docs) > 0
	count({p | some p in changed; docs[p]}) == 0
	f := {
		"rule": "docs-not-updated",
		"msg": concat("", [
			"neither the model card nor the changelog (",
			concat(", ", sort([p | some p in docs])),
			") changed in this release range; record what changed and why",
		]),
		"pointer": "/model",
	}
}
