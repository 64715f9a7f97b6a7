# METADATA
# title: Basic monitoring
# description: >-
#   The model's evaluation metrics are recorded for every release, meet the organisation's
#   thresholds, and do not regress beyond the allowed tolerance against the previous release.
# custom:
#   id: MON
#   level: 1
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 15(1)", "Art. 15(3)", "Annex IV(2)(g)", "Annex IV(3)"]
#     nist_ai_rmf: ["MEASURE 1.1", "MEASURE 2.3", "MEASURE 2.5"]
#     iso_42001: ["A.6.2.4", "A.6.2.6"]
package aigate.controls.mon

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["reports", "metrics"], null) != null

metrics_file := util.m(["evaluation", "metrics"])

# The metrics file is {"metrics": {...}} (documented) or a flat {name: number} object.
raw := object.get(input, ["reports", "metrics"], null)

metrics := raw.metrics if {
	is_object(raw)
	is_object(raw.metrics)
} else := raw if {
	is_object(raw)
} else := {}

minimums := util.conf(["thresholds", "metric_minimums"], {})

maximums := util.conf(["thresholds", "metric_maximums"], {})

default_tolerance := util.conf(["thresholds", "metric_regression_tolerance"], 0)

# Per-metric tolerances override the default (metrics have different scales).
tolerance_of(name) := object.get(util.conf(["thresholds", "metric_regression_tolerances"], {}), name, default_tolerance)

lower_is_better := {n | some n in util.conf(["thresholds", "metrics_lower_is_better"], [])}

# --- declared ---------------------------------------------------------------------------------

deny contains f if {
	not is_string(metrics_file)
	f := {
		"rule": "no-metrics-file",
		"msg": "evaluation.metrics is not declared; write the evaluation results to a JSON file ({\"metrics\": {\"auc\": 0.93}}) and set evaluation.metrics",
		"pointer": "/evaluation",
	}
}

deny contains f if {
	util.missing_file(metrics_file)
	f := {
		"rule": "metrics-file-missing",
		"msg": util.say("evaluation metrics file %s (evaluation.metrics) does not exist; run the evaluation and commit its output", [metrics_file]),
		"pointer": "/evaluation/metrics",
	}
}

# --- evidence: the metrics file's content -----------------------------------------------------

deny contains f if {
	basis == "evidence"
	some name, floor in minimums
	not is_number(object.get(metrics, name, null))
	f := {
		"rule": "metric-missing",
		"msg": util.say("metric %s is required by policy (minimum %v) but is not in %s; add it to the evaluation output", [name, floor, metrics_file]),
		"pointer": "/evaluation/metrics",
	}
}

deny contains f if {
	basis == "evidence"
	some name, ceiling in maximums
	not is_number(object.get(metrics, name, null))
	f := {
		"rule": "metric-missing",
		"msg": util.say("metric %s is required by policy (maximum %v) but is not in %s; add it to the evaluation output", [name, ceiling, metrics_file]),
		"pointer": "/evaluation/metrics",
	}
}

deny contains f if {
	some name, floor in minimums
	value := metrics[name]
	is_number(value)
	value < floor
	f := {
		"rule": "metric-below-minimum",
		"msg": util.say("metric %s is %v; policy requires at least %v. Improve the model or have the organisation change thresholds.metric_minimums", [name, value, floor]),
		"pointer": "/evaluation/metrics",
	}
}

deny contains f if {
	some name, ceiling in maximums
	value := metrics[name]
	is_number(value)
	value > ceiling
	f := {
		"rule": "metric-above-maximum",
		"msg": util.say("metric %s is %v; policy allows at most %v. Improve the model or have the organisation change thresholds.metric_maximums", [name, value, ceiling]),
		"pointer": "/evaluation/metrics",
	}
}

warn contains f if {
	basis == "evidence"
	count(metrics) == 0
	f := {
		"rule": "metrics-empty",
		"msg": util.say("%s contains no numeric metrics; record the evaluation results as {\"metrics\": {name: value}}", [metrics_file]),
		"pointer": "/evaluation/metrics",
	}
}

# Regression against the previous release (input.history.previous.metrics).
previous := object.get(input, ["history", "previous", "metrics"], null)

prev_metrics := previous.metrics if {
	is_object(previous)
	is_object(previous.metrics)
} else := previous if {
	is_object(previous)
} else := {}

deny contains f if {
	some name, value in metrics
	is_number(value)
	before := prev_metrics[name]
	is_number(before)
	not lower_is_better[name]
	tol := tolerance_of(name)
	before - value > tol
	f := {
		"rule": "metric-regression",
		"msg": util.say("metric %s regressed from %v (previous release) to %v, more than the allowed %v; fix the regression or record an approved waiver", [name, before, value, tol]),
		"pointer": "/evaluation/metrics",
	}
}

deny contains f if {
	some name, value in metrics
	is_number(value)
	before := prev_metrics[name]
	is_number(before)
	lower_is_better[name]
	tol := tolerance_of(name)
	value - before > tol
	f := {
		"rule": "metric-regression",
		"msg": util.say("metric %s (lower is better) rose from %v (previous release) to %v, more than the allowed %v; fix the regression or record an approved waiver", [name, before, value, tol]),
		"pointer": "/evaluation/metrics",
	}
}

# The regression check needs a previous release that verifies: one that does not (changed,
# badly signed, no key to check it with), or a bundle store whose chain does not, is a deny, not
# a silent skip (ROLLBACK, AUDIT and AUDITREADY deny on the same facts).
history_section := object.get(input, "history", null)

prev_release := util.get(history_section, "previous", null)

prev_chain := util.get(history_section, "chain", null)

deny contains f if {
	basis == "evidence"
	prev_release != null
	util.get(prev_release, "verified", false) != true
	f := {
		"rule": "previous-unverified",
		"msg": util.say("the previous release's evidence bundle %v does not verify (%v), so metric regression against it was not checked; give aigate the previous bundle as it was recorded, with the key or identity it was signed with", [util.get(prev_release, "bundle", "?"), util.get(prev_release, "reason", "no reason given")]),
		"pointer": "/evaluation/metrics",
	}
}

deny contains f if {
	basis == "evidence"
	prev_release == null
	util.get(prev_chain, "verified", true) == false
	f := {
		"rule": "previous-unverified",
		"msg": util.say("the bundle store does not verify (%v), so there is no verified previous release to check metric regression against; run `aigate audit verify` on the store", [util.get(prev_chain, "reason", "no reason given")]),
		"pointer": "/evaluation/metrics",
	}
}

# A metric the previous release recorded that is gone now would dodge the regression check.
deny contains f if {
	basis == "evidence"
	some name, before in prev_metrics
	is_number(before)
	not is_number(object.get(metrics, name, null))
	f := {
		"rule": "metric-dropped",
		"msg": util.say("metric %s was %v in the previous release but is not in %v now, so its regression cannot be checked; record it again or record an approved waiver", [name, before, metrics_file]),
		"pointer": "/evaluation/metrics",
	}
}

warn contains f if {
	basis == "evidence"
	util.get(prev_release, "verified", false) == true
	count(prev_metrics) == 0
	f := {
		"rule": "previous-no-metrics",
		"msg": util.say("the previous release %v recorded no evaluation metrics in its bundle, so regression was not checked", [util.get(prev_release, "version", "?")]),
		"pointer": "/evaluation/metrics",
	}
}
