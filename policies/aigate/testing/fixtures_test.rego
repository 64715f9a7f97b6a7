# Shared fixtures for the control unit tests: a compact policy data document, a manifest that
# passes every control on its declarations, and the input.files entries for its paths.
# The file name ends in _test.rego so it is loaded with the tests only, never by the gate.
package aigate.testing

import rego.v1

digest := "sha256:0f3e1f5c4b8a9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"

cfg := {
	"required_levels": {"A": 1, "B": 1},
	"thresholds": {
		"io_log_retention_days": 180,
		"access_log_retention_days": 180,
		"metric_regression_tolerance": 0.01,
		"metric_regression_tolerances": {"latency_p99_ms": 2},
		"metric_minimums": {"auc": 0.9},
		"metric_maximums": {"latency_p99_ms": 150},
		"metrics_lower_is_better": ["latency_p99_ms", "loss"],
		"drift_threshold_max": 0.25,
		"risk_assessment_max_age_days": 365,
		"max_listed_items": 3,
	},
	"licenses": {
		"allow": ["MIT", "Apache-2.0", "BSD-3-Clause"],
		"deny": ["AGPL-3.0-only"],
		"review": ["GPL-3.0-only"],
	},
	"approvals": {
		"roles": {
			"ml-lead": {"quorum": 1, "members": [{"name": "Ada", "email": "ada@example.com"}]},
			"security-lead": {"quorum": 2, "members": [
				{"name": "Bo", "email": "bo@example.com"},
				{"name": "Cy", "email": "cy@example.com"},
			]},
		},
		"required_roles": ["ml-lead", "security-lead"],
		"separation_of_duties": true,
		"policy_change_role": "security-lead",
	},
	"allow_unsigned_evidence": false,
	"policy_set": {"digest": null},
	"compliance": {
		"risk_class_documents": {"high": ["technical_documentation", "risk_assessment"], "minimal": []},
		"required_frameworks": {"high": ["eu-ai-act"]},
	},
	"alerting": {
		"required_kinds": ["anomaly", "error_rate", "latency", "drift"],
		"kind_aliases": {
			"anomaly": ["anomaly", "hallucination"],
			"error_rate": ["error"],
			"latency": ["latency"],
			"drift": ["drift"],
		},
	},
	"encryption": {"kms_key_patterns": ["^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/.+$"]},
	"modelsafe": {
		"safe_formats": ["safetensors", "onnx", "gguf"],
		"pickle_formats": ["pickle", "pytorch", "joblib", "numpy"],
		"unscanned_pickle": "warn",
		"unknown_status": "warn",
	},
}

manifest := {
	"apiVersion": "aigate.dev/v1",
	"kind": "ModelDeployment",
	"metadata": {"name": "fraud-detector", "owner": "ml@example.com"},
	"model": {
		"name": "fraud-detector",
		"version": "1.4.0",
		"format": "safetensors",
		"license": "Apache-2.0",
		"artifacts": [{"path": "model/model.safetensors", "kind": "model"}],
		"card": "MODEL_CARD.md",
		"changelog": "CHANGELOG.md",
	},
	"serving": {
		"runtime": "kserve",
		"image": "registry.example.com/fraud@sha256:0f3e1f5c4b8a9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e",
		"endpoint": {"url": "https://fraud.internal", "visibility": "internal", "auth": "oidc"},
		"runtime_files": ["serving/config.yaml"],
	},
	"dependencies": {"requirements": "requirements.txt", "pylock": "pylock.toml"},
	"access": {
		"roles": [{"name": "ml-operator", "permissions": ["predict", "read-logs"]}],
		"kubernetes_manifests": ["deploy/k8s.yaml"],
		"logging": {"enabled": true, "retention_days": 365, "sink": "cloudwatch:/fraud/access"},
	},
	"encryption": {
		"at_rest": {"enabled": true, "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/abc"},
		"logs": {"enabled": true, "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/def"},
		"in_transit": {"tls": true},
	},
	"monitoring": {
		"metrics": {"invocations": "model_invocations_total", "latency": "model_latency_seconds", "dashboard": "grafana:fraud"},
		"io_logging": {"enabled": true, "redaction": true, "retention_days": 200, "schema": "logs/schema.json", "sample": "logs/sample.jsonl"},
		"drift": {"method": "psi", "threshold": 0.2, "key_features": ["amount", "country"], "report": "reports/drift.json"},
		"alerts": {"rules": "monitoring/alerts.yaml", "sink": "pagerduty:ml-oncall"},
	},
	"resilience": {
		"fallback": {"model": "fraud-rules", "version": "2.0.0", "bundle": "releases/rules-2.0.0"},
		"kill_switch": {"enabled": true, "mechanism": "feature flag fraud-model-enabled"},
		"runbook": "runbooks/incident.md",
	},
	"rollback": {"target": "1.3.2", "bundle": "releases/1.3.2", "runbook": "runbooks/rollback.md"},
	"compliance": {
		"risk_class": "high",
		"frameworks": ["eu-ai-act"],
		"documents": {"technical_documentation": "docs/annex-iv.md", "risk_assessment": "docs/risk.md"},
	},
	"evaluation": {"metrics": "reports/metrics.json"},
}

paths := [
	"MODEL_CARD.md", "CHANGELOG.md", "serving/config.yaml", "requirements.txt", "pylock.toml",
	"deploy/k8s.yaml", "logs/schema.json", "logs/sample.jsonl", "reports/drift.json",
	"monitoring/alerts.yaml", "releases/rules-2.0.0", "runbooks/incident.md", "releases/1.3.2",
	"runbooks/rollback.md", "docs/annex-iv.md", "docs/risk.md", "reports/metrics.json",
	"model/model.safetensors",
]

now := 1800000000

files := {p: {"exists": true, "kind": "file", "sha256": "00", "size": 1, "mtime_epoch": now - 86400} | some p in paths}

aigate_meta := {"version": "1", "mode": "dry-run", "fast": false, "policy_digest": digest, "engine": "embedded", "now_epoch": now}

# with_patch(ops): the manifest with JSON-patch operations applied (object.union is not
# recursive in regopy, so tests change the manifest through json.patch; patch paths must be
# literals: a path built with concat() makes regopy's json.patch undefined).
with_patch(ops) := json.patch(manifest, ops)

files_without(p) := object.union(files, {p: {"exists": false, "kind": "missing", "sha256": null, "size": null, "mtime_epoch": null}})

rule_names(findings) := {f.rule | some f in findings}
