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
# Two shapes are understood:
#   aigate's own: {version, method, threshold, features: {name: {score, drifted: bool}}}
#   Evidently:    {metrics: [{metric: "DataDriftTable", result: {drift_by_columns: {name: {drift_detected, drift_score}}}}]}

report := object.get(input, ["reports", "drift"], null)

feature_results[name] := {"drifted": r.drifted == true, "score": object.get(r, "score", null)} if {
	some name, r in object.get(report, "features", {})
}

feature_results[name] := {"drifted": r.drift_detected == true, "score": object.get(r, "drift_score", null)} if {
	not is_object(object.get(report, "features", null))
	some m in object.get(report, "metrics", [])
	some name, r in object.get(m, ["result", "drift_by_columns"], {})
}

deny contains f if {
	report != null
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
	feature_results[feat].drifted
	f := {
		"rule": "key-feature-drifted",
		"msg": util.say("key feature %s drifted (score %v, threshold %v); investigate the data shift and retrain or re-validate before release", [feat, feature_results[feat].score, threshold]),
		"pointer": "/monitoring/drift/key_features",
	}
}

warn contains f if {
	report != null
	v := object.get(report, "version", null)
	is_string(v)
	v != util.m(["model", "version"])
	f := {
		"rule": "report-for-other-version",
		"msg": util.say("the drift report is for version %s, not %s; regenerate it for this release", [v, util.m(["model", "version"])]),
		"pointer": "/monitoring/drift/report",
	}
}
