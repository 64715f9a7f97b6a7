# METADATA
# title: Audit trails
# description: >-
#   Every gate decision is recorded in a tamper-evident chain: each decision carries the digest of
#   the previous release's decision, and the chain verifies end to end.
# custom:
#   id: AUDIT
#   level: 2
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 17(1)(k)", "Art. 18(1)", "Art. 12(2)(b)"]
#     nist_ai_rmf: ["GOVERN 1.4", "MEASURE 2.8"]
#     iso_42001: ["A.6.2.3", "A.6.2.5"]
package aigate.controls.audit

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["history", "chain"], null) != null

chain := object.get(input, ["history", "chain"], null)

previous := object.get(input, ["history", "previous"], null)

deny contains f if {
	chain == null
	f := {
		"rule": "chain-not-verified",
		"msg": "the decision chain was not verified in this run; give aigate the previous releases' evidence bundles (a bundle store) so this decision links to the last one",
		"basis": "declared",
	}
}

deny contains f if {
	chain != null
	object.get(chain, "verified", false) != true
	f := {
		"rule": "chain-broken",
		"msg": util.say("the decision chain%s does not verify: %s. Run `aigate audit verify` to find the break", [chain_size(chain), chain_reason(chain)]),
	}
}

# " (N decision(s))" when the chain was walked; a chain that failed to verify has no length
chain_size(c) := util.say(" (%v decision(s))", [c.length]) if is_number(c.length)

else := ""

chain_reason(c) := c.reason if is_string(c.reason)

else := "a bundle is missing, reordered or replaced"

deny contains f if {
	previous != null
	not is_string(object.get(previous, "decision_digest", null))
	f := {
		"rule": "previous-decision-unlinked",
		"msg": util.say("the previous release %v has no decision digest to link to; its bundle predates the chain or is incomplete", [object.get(previous, "version", "?")]),
	}
}

warn contains f if {
	object.get(input, ["aigate", "mode"], "dry-run") == "dry-run"
	f := {
		"rule": "decision-not-recorded",
		"msg": "this is a dry run: the decision is not recorded in the chain. Only a recorded run in CI adds to the audit trail",
		"basis": "declared",
	}
}
