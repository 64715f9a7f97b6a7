# METADATA
# title: Drift detection
# description: >-
#   Data and prediction drift are measured with a declared method and threshold on named key
#   features, and the drift report for this version shows none of them drifted.
# custom:
#   id: DRIFT
#   level: 3
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 15(4)", "Art. 72(1)", "Art. 72(2)"]
#     nist_ai_rmf: ["MEASURE 2.4", "MEASURE 3.1", "MANAGE 4.1"]
#     iso_42001: ["A.6.2.6", "A.7.4"]
package aigate.controls.drift

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["reports", "drift"], null) != null

dr := util.obj(["monitoring", "drift"])

threshold := object.get(dr, "threshold", null)

max_threshold := util.conf(["thresholds", "drift_threshold_max"], 1)

key_features := object.get(dr, "key_features", null)

deny contains f if {
	some key in ["method", "threshold", "key_features"]
	not util.declared(["monitoring", "drift", key])
	f := {
		"rule": "drift-not-declared",
		"msg": util.say("monitoring.drift.%s is not declared; declare the drift method, its threshold and the key features watched in production", [key]),
		"pointer": "/monitoring/drift",
	}
}

deny contains f if {
	is_array(key_features)
	count(key_features) == 0
	f := {
		"rule": "no-key-features",
		"msg": "monitoring.drift.key_features is empty; name the features whose drift must block a release",
		"pointer": "/monitoring/drift/key_features",
	}
}

deny contains f if {
	is_number(threshold)
	threshold > max_threshold
	f := {
		"rule": "threshold-too-lax",
		"msg": util.say("drift threshold %v is above the policy maximum %v; lower monitoring.drift.threshold", [threshold, max_threshold]),
		"pointer": "/monitoring/drift/threshold",
	}
}

deny contains f if {
	util.missing_file(object.get(dr, "report", null))
	f := {
		"rule": "drift-report-missing",
		"msg": util.say("drift report %s (monitoring.drift.report) does not exist; run `aigate drift` (or Evidently) for this version and commit the report", [dr.report]),
		"pointer": "/monitoring/drift/report",
	}
}

warn contains f if {
	util.declared(["monitoring", "drift"])
	not is_string(object.get(dr, "report", null))
	f := {
		"rule": "no-drift-report",
		"msg": "no drift report is declared for this version; run `aigate drift` against the training reference and set monitoring.drift.report",
		"pointer": "/monitoring/drift",
	}
}

# --- evidence: the drift report ----------------------------------------------------------------
# The collector (aigate/ops/evidently.py) normalises aigate's own and Evidently's reports (legacy
# as_dict and 0.7 snapshots) to {format, version, features: {name: {method, score, threshold,
# drifted}}}. The report's own `drifted` flag is a claim, never the verdict: each key feature's
# verdict is recomputed here from its score, its method and the threshold in force, and a report
# whose claim disagrees is a deny naming both.

report := object.get(input, ["reports", "drift"], null)

feature_results := fr if {
	is_object(report)
	fr := util.get(report, "features", {})
	is_object(fr)
} else := {}

# p-value tests drift below the threshold (KS at or below, as Evidently); distances at or above.
p_value_methods := {"ks", "chisquare", "z"}

method_defaults := {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1, "kl_div": 0.1}

# The threshold in force: policy data per column, then per method, then the manifest's declared
# threshold when the report used the declared method, then Evidently's default for the method.
threshold_for(name, method) := t if {
	t := util.conf(["drift", "columns", name, "threshold"], null)
	is_number(t)
} else := t if {
	t := util.conf(["drift", "thresholds", method], null)
	is_number(t)
} else := threshold if {
	method == object.get(dr, "method", null)
	is_number(threshold)
} else := method_defaults[method]

verdict(r, t) if {
	r.method == "ks"
	r.score <= t
}

verdict(r, t) if {
	r.method in {"chisquare", "z"}
	r.score < t
}

verdict(r, t) if {
	not r.method in p_value_methods
	r.score >= t
}

usable(r) if {
	is_number(r.score)
	method_defaults[r.method]
}

recompute(name, r) := {"drifted": true, "threshold": t} if {
	t := threshold_for(name, r.method)
	verdict(r, t)
} else := {"drifted": false, "threshold": threshold_for(name, r.method)}

recomputed[name] := recompute(name, r) if {
	some name, r in feature_results
	usable(r)
}

deny contains f if {
	is_object(report)
	util.get(report, "format", "") == "unknown"
	f := {
		"rule": "drift-report-unrecognised",
		"msg": util.say("the drift report %s is neither aigate's (aigate drift) nor Evidently's (legacy as_dict or a 0.7 snapshot); regenerate it with one of them", [util.get(report, "file", "")]),
		"pointer": "/monitoring/drift/report",
	}
}

deny contains f if {
	is_object(report)
	util.get(report, "format", "") != "unknown"
	some feat in key_features
	not feature_results[feat]
	f := {
		"rule": "key-feature-not-in-report",
		"msg": util.say("key feature %s is not in the drift report; compute drift for every key feature", [feat]),
		"pointer": "/monitoring/drift/key_features",
	}
}

deny contains f if {
	report != null
	some feat in key_features
	r := feature_results[feat]
	not usable(r)
	f := {
		"rule": "drift-score-unusable",
		"msg": util.say("key feature %s has no usable score in the drift report (method %v, score %v); the verdict cannot be recomputed", [feat, object.get(r, "method_name", r.method), r.score]),
		"pointer": "/monitoring/drift/report",
	}
}

deny contains f if {
	report != null
	some feat in key_features
	r := feature_results[feat]
	recomputed[feat].drifted
	f := {
		"rule": "key-feature-drifted",
		"msg": util.say("key feature %s drifted (%s %v, threshold %v); investigate the data shift and retrain or re-validate before release", [feat, r.method, r.score, recomputed[feat].threshold]),
		"pointer": "/monitoring/drift/key_features",
	}
}

deny contains f if {
	report != null
	some feat in key_features
	r := feature_results[feat]
	is_boolean(r.drifted)
	r.drifted != recomputed[feat].drifted
	f := {
		"rule": "drift-flag-disagrees",
		"msg": util.say("the drift report says key feature %s drifted=%v, but its score (%s %v) against threshold %v gives drifted=%v; the report is not trusted", [feat, r.drifted, r.method, r.score, recomputed[feat].threshold, recomputed[feat].drifted]),
		"pointer": "/monitoring/drift/report",
	}
}

warn contains f if {
	report != null
	v := util.get(report, "version", null)
	is_string(v)
	v != util.m(["model", "version"])
	f := {
		"rule": "report-for-other-version",
		# %v, not %s: a null formatted with %s is "null" on OPA and "" on regopy (docs/engines.md)
		"msg": util.say("the drift report is for version %s, not %v; regenerate it for this release", [v, util.m(["model", "version"])]),
		"pointer": "/monitoring/drift/report",
	}
}
