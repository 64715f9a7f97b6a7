# METADATA
# title: Encryption at rest
# description: >-
#   The model store and the logs are encrypted at rest with a named, managed key (a KMS
#   reference), and traffic is encrypted in transit.
# custom:
#   id: ENCRYPT
#   level: 2
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 15(1)", "Art. 15(5)"]
#     nist_ai_rmf: ["MEASURE 2.7", "MEASURE 2.10"]
#     iso_42001: ["A.6.2.6"]
package aigate.controls.encrypt

import rego.v1

import data.aigate.lib.util

# Only declarations exist for this control: key policies live in the cloud account.
default basis := "declared"

patterns := util.conf(["encryption", "kms_key_patterns"], [])

targets := {"at_rest": "the model store", "logs": "the logs"}

rule_names := {"at_rest": "at-rest-not-encrypted", "logs": "logs-not-encrypted"}

managed_key(k) if {
	some p in patterns
	regex.match(p, k)
}

deny contains f if {
	some key, what in targets
	object.get(util.obj(["encryption", key]), "enabled", false) != true
	f := {
		"rule": rule_names[key],
		"msg": util.say("encryption of %s is not enabled; enable it and set encryption.%s: {enabled: true, kms_key: <KMS key reference>}", [what, key]),
		"pointer": util.say("/encryption/%s", [key]),
	}
}

deny contains f if {
	some key, what in targets
	e := util.obj(["encryption", key])
	e.enabled == true
	not is_string(object.get(e, "kms_key", null))
	f := {
		"rule": "no-kms-key",
		"msg": util.say("encryption of %s names no key; set encryption.%s.kms_key to the KMS key that protects it", [what, key]),
		"pointer": util.say("/encryption/%s", [key]),
	}
}

deny contains f if {
	some key, what in targets
	k := object.get(util.obj(["encryption", key]), "kms_key", null)
	is_string(k)
	count(patterns) > 0
	not managed_key(k)
	f := {
		"rule": "unmanaged-key",
		"msg": util.say("encryption.%s.kms_key %s is not a recognised KMS key reference (AWS KMS ARN, GCP cryptoKeys name, Azure Key Vault key URL, vault:...); name the managed key", [key, k]),
		"pointer": util.say("/encryption/%s/kms_key", [key]),
	}
}

deny contains f if {
	object.get(util.obj(["encryption", "in_transit"]), "tls", null) == false
	f := {
		"rule": "no-tls",
		"msg": "encryption.in_transit.tls is false; serve the model over TLS",
		"pointer": "/encryption/in_transit/tls",
	}
}

warn contains f if {
	not is_boolean(object.get(util.obj(["encryption", "in_transit"]), "tls", null))
	f := {
		"rule": "tls-undeclared",
		"msg": "encryption.in_transit.tls is not declared; state that traffic to the model is encrypted",
		"pointer": "/encryption",
	}
}
