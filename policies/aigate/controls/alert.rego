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

# A rule covers a kind through its `kind` label (the kind or one of its aliases) or its name
# (an alias as a lower-case substring).
covers(rule, kind) if object.get(rule, ["labels", "kind"], null) == kind

covers(rule, kind) if {
	some alias in object.get(aliases, kind, [kind])
	object.get(rule, ["labels", "kind"], null) == alias
}

covers(rule, kind) if {
	some alias in object.get(aliases, kind, [kind])
	contains(lower(object.get(rule, "name", "")), alias)
}

# LLM deployments (model.llm: true, or LLM evaluation outputs listed) also need the LLM kinds.
is_llm if util.m(["model", "llm"]) == true

is_llm if count(util.arr(["evaluation", "llm"])) > 0

llm_kinds := [k | some k in util.conf(["alerting", "llm_required_kinds"], []); not k in required_kinds] if is_llm

else := []

all_kinds := array.concat(required_kinds, llm_kinds)

kind_note(kind) := " (this is an LLM deployment: model.llm or evaluation.llm)" if {
	kind in llm_kinds
} else := ""

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
	some kind in all_kinds
	not any_covers(kind)
	f := {
		"rule": "alert-kind-missing",
		"msg": util.say("no alert rule covers %s%s (name it so, or label it kind: %s) in %s; add one with a severity label and a runbook_url annotation", [kind, kind_note(kind), kind, rules_file]),
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

# --- every rule that covers a required kind: severity and a runbook that exists ---------------

severities := util.conf(["alerting", "severities"], ["critical", "page", "warning", "ticket", "info"])

url_prefixes := util.conf(["alerting", "runbook_url_prefixes"], [])

# covering[name] = the kinds the rule covers (rules named alike are judged by their first entry's
# kinds; promtool accepts duplicate alert names, and each entry is still checked below).
rule_kinds(r) := [k | some k in all_kinds; covers(r, k)]

covering contains r if {
	alerts != null
	util.get(alerts, "parsed", false) == true
	some r in rules
	count(rule_kinds(r)) > 0
}

deny contains f if {
	some r in covering
	sev := object.get(r, ["labels", "severity"], null)
	not sev in severities
	f := {
		"rule": "alert-severity-missing",
		"msg": util.say("alert rule %s in %s (covers %s) %s; set labels.severity to one of: %s (alerting.severities)", [object.get(r, "name", ""), rules_file, concat(", ", rule_kinds(r)), severity_text(sev), concat(", ", severities)]),
		"pointer": "/monitoring/alerts/rules",
	}
}

severity_text(sev) := "has no severity label" if sev == null

else := util.say("has severity %v, which the organisation does not route", [sev])

rb(r) := object.get(r, "runbook", {"type": "none"})

deny contains f if {
	some r in covering
	object.get(rb(r), "type", "none") == "none"
	f := {
		"rule": "alert-runbook-missing",
		"msg": util.say("alert rule %s in %s (covers %s) has no runbook; add annotations.runbook_url with a runbook file in the project (e.g. runbooks/alerts/%s.md) or a URL under alerting.runbook_url_prefixes", [object.get(r, "name", ""), rules_file, concat(", ", rule_kinds(r)), object.get(r, "name", "")]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	some r in covering
	b := rb(r)
	object.get(b, "type", "none") == "path"
	object.get(b, "outside", false) == true
	f := {
		"rule": "alert-runbook-outside",
		"msg": util.say("the runbook %v of alert rule %s in %s (annotations.%v) is not inside the project: %v; put the runbook in the project and name it by its project-relative path", [object.get(b, "value", null), object.get(r, "name", ""), rules_file, object.get(b, "annotation", null), object.get(b, "reason", null)]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	some r in covering
	b := rb(r)
	object.get(b, "type", "none") == "path"
	object.get(b, "outside", false) != true
	object.get(b, "exists", false) != true
	f := {
		"rule": "alert-runbook-not-found",
		"msg": util.say("the runbook %v of alert rule %s in %s (annotations.%v) is not usable: %v; add the file (project-relative path) or fix the annotation", [object.get(b, "path", null), object.get(r, "name", ""), rules_file, object.get(b, "annotation", null), object.get(b, "reason", null)]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	some r in covering
	b := rb(r)
	object.get(b, "type", "none") == "invalid"
	f := {
		"rule": "alert-runbook-invalid",
		"msg": util.say("the runbook %v of alert rule %s in %s (annotations.%v) is not a project file or an http(s) URL: %v", [object.get(b, "value", null), object.get(r, "name", ""), rules_file, object.get(b, "annotation", null), object.get(b, "reason", null)]),
		"pointer": "/monitoring/alerts/rules",
	}
}

deny contains f if {
	some r in covering
	b := rb(r)
	object.get(b, "type", "none") == "url"
	not url_allowed(object.get(b, "url", ""))
	f := {
		"rule": "alert-runbook-url-not-allowed",
		"msg": util.say("the runbook URL %v of alert rule %s in %s is not under a prefix the organisation allows (alerting.runbook_url_prefixes: %s); put the runbook in the project (runbooks/...) or have the prefix added to the policy data", [object.get(b, "url", null), object.get(r, "name", ""), rules_file, prefixes_shown]),
		"pointer": "/monitoring/alerts/rules",
	}
}

prefixes_shown := "none set" if count(url_prefixes) == 0

else := concat(", ", url_prefixes)

# A URL is under a prefix when it equals it, or continues it after "/", "?" or "#" (so the
# prefix https://wiki.example.com does not admit https://wiki.example.com.evil.test/).
url_allowed(u) if {
	some p in url_prefixes
	is_string(p)
	p != ""
	under_prefix(u, p)
}

under_prefix(u, p) if u == p

under_prefix(u, p) if {
	endswith(p, "/")
	startswith(u, p)
}

under_prefix(u, p) if {
	not endswith(p, "/")
	startswith(u, p)
	substring(u, count(p), 1) in {"/", "?", "#"}
}

# --- the declared usage metrics appear in an alert rule or a supplied dashboard ----------------

deny contains f if {
	alerts != null
	util.get(alerts, "parsed", false) == true
	some key, mm in util.get(alerts, "metrics", {})
	count(object.get(mm, "found", [])) == 0
	f := {
		"rule": "usage-metric-unused",
		"msg": util.say("the %s metric %v (monitoring.metrics.%s) is used by no alert rule expr in %s and no panel query of the dashboards (monitoring.dashboards: %s); add an alert rule or a dashboard panel that queries it, or fix the metric name", [key, object.get(mm, "name", null), key, rules_file, dashboards_shown]),
		"pointer": util.say("/monitoring/metrics/%s", [key]),
	}
}

dashboards_shown := "none declared" if count(util.arr(["monitoring", "dashboards"])) == 0

else := concat(", ", [d | some d in util.arr(["monitoring", "dashboards"]); is_string(d)])

deny contains f if {
	some i, d in util.arr(["monitoring", "dashboards"])
	util.missing_file(d)
	f := {
		"rule": "dashboard-missing",
		"msg": util.say("dashboard %s (monitoring.dashboards) does not exist; add the Grafana dashboard JSON or remove the entry", [d]),
		"pointer": util.say("/monitoring/dashboards/%v", [i]),
	}
}

deny contains f if {
	some d in util.get(alerts, "dashboards", [])
	object.get(d, "exists", false) == true
	object.get(d, "error", null) != null
	f := {
		"rule": "dashboard-unparsable",
		"msg": util.say("dashboard %v (monitoring.dashboards) cannot be read as Grafana dashboard JSON: %v; export it from Grafana (Share > Export > Save to file)", [object.get(d, "file", null), object.get(d, "error", null)]),
		"pointer": "/monitoring/dashboards",
	}
}
