package aigate.controls.iolog_test

import rego.v1

import data.aigate.controls.iolog
import data.aigate.testing as t

none := {"count": 0, "lines": []}

role(accepted, required) := {"accepted": accepted, "schema_requires": required, "missing": none}

# what aigate/ops/iolog.py reports for a sample that shows everything IOLOG asks for
good_sample := {
	"valid": true, "records": 3, "errors": [], "error_count": 0,
	"fields": {
		"request_id": role(["request_id", "trace_id"], "request_id"),
		"timestamp": role(["ts", "timestamp"], "ts"),
		"model_version": role(["model_version"], "model_version"),
	},
	"bad_timestamps": none, "other_model_versions": none, "unredacted": none,
	"redacted_records": 3, "expected_model_version": "1.4.0",
}

reports := {"metrics": null, "io_log_sample": good_sample}

sample_with(ops) := {"io_log_sample": json.patch(good_sample, ops)}

run_iolog(mf, files, rep) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := iolog.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	w := iolog.warn with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
}

test_pass_declared if {
	r := run_iolog(t.manifest, t.files, null)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_pass_evidence if {
	r := run_iolog(t.manifest, t.files, reports)
	count(r.deny) == 0
}

test_deny_disabled if {
	mf := t.with_patch([{"op": "replace", "path": "/monitoring/io_logging/enabled", "value": false}])
	t.rule_names(run_iolog(mf, t.files, null).deny) == {"io-logging-disabled"}
}

test_deny_section_absent if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/io_logging"}])
	"io-logging-disabled" in t.rule_names(run_iolog(mf, t.files, null).deny)
}

test_deny_retention_too_short if {
	mf := t.with_patch([{"op": "replace", "path": "/monitoring/io_logging/retention_days", "value": 30}])
	some f in run_iolog(mf, t.files, null).deny
	f.rule == "retention-too-short"
	f.msg == "I/O log retention is 30 days; policy requires at least 180 (set monitoring.io_logging.retention_days)"
	f.pointer == "/monitoring/io_logging/retention_days"
}

test_deny_retention_undeclared if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/io_logging/retention_days"}])
	"retention-too-short" in t.rule_names(run_iolog(mf, t.files, null).deny)
}

test_deny_no_redaction if {
	mf := t.with_patch([{"op": "replace", "path": "/monitoring/io_logging/redaction", "value": false}])
	"no-redaction" in t.rule_names(run_iolog(mf, t.files, null).deny)
}

test_deny_schema_missing if {
	some f in run_iolog(t.manifest, t.files_without("logs/schema.json"), null).deny
	f.rule == "log-file-missing"
	f.pointer == "/monitoring/io_logging/schema"
}

test_deny_no_schema if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/io_logging/schema"}])
	"no-log-schema" in t.rule_names(run_iolog(mf, t.files, null).deny)
}

test_warn_no_sample if {
	mf := t.with_patch([{"op": "remove", "path": "/monitoring/io_logging/sample"}])
	r := run_iolog(mf, t.files, null)
	"no-sample-log" in t.rule_names(r.warn)
	count(r.deny) == 0
}

test_deny_evidence_sample_invalid if {
	rep := {"io_log_sample": {"valid": false, "records": 2, "errors": [{"line": 2, "message": "'output' is a required property"}]}}
	some f in run_iolog(t.manifest, t.files, rep).deny
	f.rule == "sample-invalid"
	contains(f.msg, "line 2: 'output' is a required property")
}

test_deny_evidence_sample_empty if {
	rep := {"io_log_sample": {"valid": true, "records": 0, "errors": []}}
	"sample-empty" in t.rule_names(run_iolog(t.manifest, t.files, rep).deny)
}

test_basis_declared_without_sample_check if {
	mf := t.manifest
	iolog.basis == "declared" with input.manifest as mf with input.reports as null
}

test_basis_evidence_with_sample_check if {
	mf := t.manifest
	rep := reports
	iolog.basis == "evidence" with input.manifest as mf with input.reports as rep
}

test_pass_evidence_with_every_check if {
	r := run_iolog(t.manifest, t.files, reports)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_schema_does_not_require_request_id if {
	rep := sample_with([{"op": "replace", "path": "/fields/request_id/schema_requires", "value": null}])
	r := run_iolog(t.manifest, t.files, rep)
	t.rule_names(r.deny) == {"schema-does-not-require-field"}
	some f in r.deny
	contains(f.msg, "does not require a request_id field in its top-level required (accepted names: request_id, trace_id)")
	f.pointer == "/monitoring/io_logging/schema"
}

test_deny_record_missing_request_id if {
	rep := sample_with([{"op": "replace", "path": "/fields/request_id/missing", "value": {"count": 2, "lines": [2, 3]}}])
	r := run_iolog(t.manifest, t.files, rep)
	t.rule_names(r.deny) == {"record-missing-field"}
	some f in r.deny
	contains(f.msg, "2 record(s) of the sample I/O log logs/sample.jsonl carry no request_id (one of request_id, trace_id; line(s) 2, 3)")
}

test_deny_bad_timestamp if {
	rep := sample_with([{"op": "replace", "path": "/bad_timestamps", "value": {"count": 1, "lines": [{"line": 2, "key": "ts", "value": "20/11/2026 09:14"}]}}])
	some f in run_iolog(t.manifest, t.files, rep).deny
	f.rule == "bad-timestamp"
	contains(f.msg, "(line 2: ts = 20/11/2026 09:14)")
}

stale_sample := sample_with([{"op": "replace", "path": "/other_model_versions", "value": {"count": 3, "lines": [{"line": 1, "key": "model_version", "value": "1.3.2"}]}}])

test_warn_other_model_version_by_default if {
	r := run_iolog(t.manifest, t.files, stale_sample)
	not "sample-other-model-version" in t.rule_names(r.deny)
	some f in r.warn
	f.rule == "sample-other-model-version"
	contains(f.msg, "are from model version 1.3.2 (line 1), not this release's 1.4.0")
}

test_deny_other_model_version_when_required if {
	c := object.union(t.cfg, {"io_logging": object.union(object.get(t.cfg, "io_logging", {}), {"require_release_sample": true})})
	rep := stale_sample
	mf := t.manifest
	files := t.files
	d := iolog.deny with input.manifest as mf with input.files as files with input.reports as rep with data.aigate.config as c
	some f in d
	f.rule == "sample-other-model-version"
}

test_deny_no_redaction_marker if {
	rep := sample_with([{"op": "replace", "path": "/redacted_records", "value": 0}])
	t.rule_names(run_iolog(t.manifest, t.files, rep).deny) == {"no-redaction-marker"}
}

test_deny_unredacted_email if {
	rep := sample_with([{"op": "replace", "path": "/unredacted", "value": {"count": 1, "lines": [{"line": 3, "kinds": ["email"]}]}}])
	some f in run_iolog(t.manifest, t.files, rep).deny
	f.rule == "sample-unredacted"
	contains(f.msg, "contain unredacted email (line 3)")
}

test_pass_hollow_sample_facts_render if {
	# a sample report without the per-record facts (older input) neither errors nor passes them off
	rep := {"io_log_sample": {"valid": true, "records": 1, "errors": [], "fields": {"request_id": {}}}}
	t.rule_names(run_iolog(t.manifest, t.files, rep).deny) == {"schema-does-not-require-field"}
}
