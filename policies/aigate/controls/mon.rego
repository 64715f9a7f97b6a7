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
