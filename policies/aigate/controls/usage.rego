# METADATA
# title: Usage metrics
# description: >-
#   The serving stack exports invocation-count and latency metrics for the model, and those
#   metric names are actually used by the alerting or dashboard configuration.
# custom:
#   id: USAGE
#   level: 1
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 12(2)(c)", "Art. 26(5)", "Art. 72(2)"]
#     nist_ai_rmf: ["MEASURE 2.4", "MANAGE 2.2"]
#     iso_42001: ["A.6.2.6"]
package aigate.controls.usage

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["reports", "alerts"], null) != null

mx := util.obj(["monitoring", "metrics"])

required := ["invocations", "latency"]

deny contains f if {
	some key in required
	not is_string(object.get(mx, key, null))
	f := {
		"rule": "metric-not-declared",
		"msg": util.say("monitoring.metrics.%s is not declared; export a %s metric from the serving stack and name it here (e.g. %s)", [key, key, {"invocations": "model_invocations_total", "latency": "model_latency_seconds"}[key]]),
		"pointer": "/monitoring/metrics",
	}
}

warn contains f if {
	not util.declared(["monitoring", "metrics", "dashboard"])
	f := {
		"rule": "no-dashboard",
		"msg": "no dashboard is declared for the usage metrics; set monitoring.metrics.dashboard to its URL or id",
		"pointer": "/monitoring/metrics",
	}
}

# --- evidence: where the collector found each declared metric ----------------------------------
# input.reports.alerts.metrics[key]: {name, found: [{file, rule | record | panel, ...}], ...}, from
# whole PromQL metric-name tokens in alert rules, the recording rules feeding them and the
# dashboards' panel queries (aigate.ops.alerting); a name that is only part of another is not a use.

alerts := object.get(input, ["reports", "alerts"], null)

deny contains f if {
	alerts != null
	some key in required
	name := object.get(mx, key, null)
	is_string(name)
	count(util.get(alerts, ["metrics", key, "found"], [])) == 0
	f := {
		"rule": "metric-unused",
		"msg": util.say("the %s metric %s is not queried by any alert rule in %s or any dashboard panel (monitoring.dashboards); watch it with a rule or a panel (or fix the metric name)", [key, name, util.m(["monitoring", "alerts", "rules"])]),
		"pointer": util.say("/monitoring/metrics/%s", [key]),
	}
}
