# METADATA
# title: Alerting systems
# description: >-
#   Alert rules exist for anomalous or hallucinated outputs, error rate, latency and drift; the
#   rules file passes `promtool check rules` and the team's `promtool test rules` unit tests; and a
#   notification sink is named. Without promtool the rules are only read as YAML, so the basis is
#   declared, not evidence.
# custom:
#   id: ALERT
#   level: 3
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 14(4)(a)", "Art. 26(5)", "Art. 73(1)"]
#     nist_ai_rmf: ["MANAGE 4.1", "MANAGE 4.3", "MEASURE 3.1"]
#     iso_42001: ["A.6.2.6", "A.8.4"]
package aigate.controls.alert

import rego.v1

import data.aigate.lib.util

default basis := "declared"

# Evidence means promtool judged the rules; a YAML read alone is a declaration (and says so).
basis := "evidence" if object.get(input, ["reports", "alerts", "promtool"], "absent") in {"pass", "fail"}

al := util.obj(["monitoring", "alerts"])

rules_file := object.get(al, "rules", null)

required_kinds := util.conf(["alerting", "required_kinds"], [])

aliases := util.conf(["alerting", "kind_aliases"], {})

deny contains f if {
	not is_string(rules_file)
	f := {
		"rule": "no-alert-rules",
		"msg": "monitoring.alerts.rules is not declared; write Prometheus alerting rules for anomalies, error rate, latency and drift and set monitoring.alerts.rules",
		"pointer": "/monitoring/alerts",
	}
}

deny contains f if {
	util.missing_file(rules_file)
	f := {
		"rule": "alert-rules-missing",
		"msg": util.say("alert rules file %s (monitoring.alerts.rules) does not exist; add it or fix the path", [rules_file]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	not util.declared(["monitoring", "alerts", "sink"])
	f := {
		"rule": "no-alert-sink",
		"msg": "no notification sink is declared; alerts nobody receives do not help. Set monitoring.alerts.sink (e.g. pagerduty:ml-oncall)",
		"pointer": "/monitoring/alerts",
	}
}

# --- evidence: the parsed rules (input.reports.alerts) ---------------------------------------------

alerts := object.get(input, ["reports", "alerts"], null)

rules := util.get(alerts, "rules", [])

covers(rule, kind) if object.get(rule, ["labels", "kind"], null) == kind

covers(rule, kind) if {
	some alias in object.get(aliases, kind, [kind])
	contains(lower(object.get(rule, "name", "")), alias)
}

deny contains f if {
	alerts != null
	util.get(alerts, "parsed", false) != true
	f := {
		"rule": "alert-rules-unparsable",
		"msg": util.say("alert rules file %s does not parse as Prometheus rules (groups: [{name, rules: [{alert, expr}]}]); fix its syntax", [rules_file]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	alerts != null
	util.get(alerts, "promtool", "absent") == "fail"
	f := {
		"rule": "promtool-check-failed",
		"msg": util.say("`promtool check rules %s` fails: %s", [rules_file, util.get(alerts, "promtool_output", "")]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	alerts != null
	util.get(alerts, "parsed", false) == true
	some kind in required_kinds
	not any_covers(kind)
	f := {
		"rule": "alert-kind-missing",
		"msg": util.say("no alert rule covers %s (name it so, or label it kind: %s) in %s; add one", [kind, kind, rules_file]),
		"pointer": "/monitoring/alerts/rules",
	}
}

any_covers(kind) if {
	some r in rules
	covers(r, kind)
}

deny contains f if {
	alerts != null
	util.get(alerts, ["tests", "result"], null) == "fail"
	f := {
		"rule": "promtool-test-failed",
		"msg": util.say("`promtool test rules` fails on the alert rule unit tests (monitoring.alerts.tests): %s", [util.get(alerts, ["tests", "output"], "")]),
		"pointer": "/monitoring/alerts/tests",
	}
}

warn contains f if {
	alerts != null
	util.get(alerts, ["tests", "result"], null) == "absent"
	f := {
		"rule": "promtool-tests-not-run",
		"msg": "the alert rule unit tests (monitoring.alerts.tests) were not run: promtool is not installed here; install Debian's prometheus package (or promtool) where the gate runs",
		"pointer": "/monitoring/alerts/tests",
	}
}
