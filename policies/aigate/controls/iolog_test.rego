package aigate.controls.iolog_test

import rego.v1

import data.aigate.controls.iolog
import data.aigate.testing as t

reports := {"metrics": null, "io_log_sample": {"valid": true, "records": 3, "errors": []}}

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
