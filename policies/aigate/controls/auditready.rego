# METADATA
# title: Audit readiness
# description: >-
#   The release produces a complete, signed evidence bundle that an auditor can verify offline:
#   every kind of evidence was collected, the decision will be signed, and the previous
#   release's bundle verifies.
# custom:
#   id: AUDITREADY
#   level: 3
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 11(1)", "Art. 18(1)", "Art. 21(1)"]
#     nist_ai_rmf: ["GOVERN 1.4", "MEASURE 2.8"]
#     iso_42001: ["A.6.2.7", "A.8.5"]
package aigate.controls.auditready

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["history", "previous"], null) != null

evidence_keys := ["environment", "dependencies", "sbom", "artifacts", "signoffs", "history"]

missing := [k | some k in evidence_keys; not util.present(k)]

allow_unsigned := util.conf(["allow_unsigned_evidence"], false)

signing := object.get(input, ["aigate", "signing"], "none")

deny contains f if {
	count(missing) > 0
	f := {
		"rule": "evidence-incomplete",
		"msg": concat("", [
			"the evidence bundle would be incomplete: not collected in this run: ",
			concat(", ", missing),
			". Run the full check (not --fast) with the previous release's bundle available",
		]),
		"basis": "declared",
	}
}

deny contains f if {
	object.get(input, ["aigate", "mode"], "dry-run") == "dry-run"
	f := {
		"rule": "bundle-not-recorded",
		"msg": "this is a dry run: no signed evidence bundle is recorded. Run aigate check without --dry-run in the release pipeline",
		"basis": "declared",
	}
}

deny contains f if {
	object.get(input, ["aigate", "mode"], "dry-run") == "record"
	signing == "none"
	allow_unsigned != true
	f := {
		"rule": "bundle-unsigned",
		"msg": "the evidence bundle will not be signed (--sign none); sign it (--sign keyless in CI, or --sign key:PATH) or let policy data set allow_unsigned_evidence",
	}
}

warn contains f if {
	object.get(input, ["aigate", "mode"], "dry-run") == "record"
	signing == "none"
	allow_unsigned == true
	f := {
		"rule": "bundle-unsigned-allowed",
		"msg": "the evidence bundle will not be signed; policy data allows unsigned evidence, but an auditor cannot tell who produced it",
	}
}

deny contains f if {
	prev := object.get(input, ["history", "previous"], null)
	prev != null
	object.get(prev, "verified", false) != true
	f := {
		"rule": "previous-bundle-unverified",
		"msg": util.say("the previous release's evidence bundle (%v) does not verify (%v); the evidence trail is broken. Run `aigate verify` on it", [object.get(prev, "bundle", object.get(prev, "version", "?")), object.get(prev, "reason", "no reason given")]),
	}
}
