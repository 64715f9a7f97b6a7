# METADATA
# title: Access logging
# description: >-
#   Who called or administered the model is logged: access logging is enabled, kept at least as
#   long as the organisation requires, and sent to a named sink.
# custom:
#   id: ACCESSLOG
#   level: 2
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 12(1)", "Art. 15(5)", "Art. 26(6)"]
#     nist_ai_rmf: ["MEASURE 2.7", "MANAGE 4.1"]
#     iso_42001: ["A.6.2.8"]
package aigate.controls.accesslog

import rego.v1

import data.aigate.lib.util

# Only declarations exist for this control: the sink is outside what aigate can inspect.
default basis := "declared"

lg := util.obj(["access", "logging"])

min_days := util.conf(["thresholds", "access_log_retention_days"], 180)

deny contains f if {
	object.get(lg, "enabled", false) != true
	f := {
		"rule": "access-logging-disabled",
		"msg": "access logging is not enabled; log every call and administrative action and set access.logging.enabled: true",
		"pointer": "/access/logging",
	}
}

deny contains f if {
	lg.enabled == true
	days := util.number_or(object.get(lg, "retention_days", null), 0)
	days < min_days
	f := {
		"rule": "retention-too-short",
		"msg": util.say("access log retention is %v days; policy requires at least %v (set access.logging.retention_days)", [days, min_days]),
		"pointer": "/access/logging/retention_days",
	}
}

deny contains f if {
	lg.enabled == true
	not util.declared(["access", "logging", "sink"])
	f := {
		"rule": "no-sink",
		"msg": "access logs have no named sink; say where they are kept (e.g. cloudwatch:/aws/model/access) in access.logging.sink",
		"pointer": "/access/logging",
	}
}
