# METADATA
# title: Automation
# description: >-
#   The gate runs automatically in the CI/CD pipeline (not as a local dry run) and evaluates a
#   policy set pinned by digest, so no release reaches production without the same checks.
# custom:
#   id: AUTOMATE
#   level: 3
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 17(1)(b)", "Art. 17(1)(d)"]
#     nist_ai_rmf: ["GOVERN 1.4", "GOVERN 4.3"]
#     iso_42001: ["A.6.1.3", "A.6.2.4"]
package aigate.controls.automate

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if util.present("ci")

mode := object.get(input, ["aigate", "mode"], "dry-run")

pinned := util.conf(["policy_set", "digest"], null)

actual := object.get(input, ["aigate", "policy_digest"], null)

# A laptop dry run is not automation; by design this is a level-3 finding, so it only blocks
# organisations that require level 3.
deny contains f if {
	not util.present("ci")
	f := {
		"rule": "not-in-ci",
		"msg": "the gate did not run in CI (no CI metadata); run aigate check in the release pipeline (GitHub Action or GitLab CI include)",
		"basis": "declared",
	}
}

deny contains f if {
	util.present("ci")
	mode == "dry-run"
	f := {
		"rule": "ci-dry-run",
		"msg": "the pipeline runs aigate check --dry-run: decisions are neither signed nor recorded. Drop --dry-run in the release job",
	}
}

deny contains f if {
	is_string(pinned)
	pinned != actual
	f := {
		"rule": "policy-digest-mismatch",
		"msg": util.say("the policy set evaluated has digest %v but policy data pins %v; use the pinned policy set or update policy_set.digest", [actual, pinned]),
	}
}

warn contains f if {
	not is_string(pinned)
	f := {
		"rule": "policy-not-pinned",
		"msg": util.say("policy data does not pin the policy set; set policy_set.digest to %v so a changed policy cannot slip in", [object.get(input, ["aigate", "policy_digest"], "the policy-set digest aigate reports")]),
	}
}
