# METADATA
# title: I/O logging
# description: >-
#   Model inputs and outputs are logged with personal data redacted and kept at least as long as
#   the organisation requires (six months by default, the EU AI Act minimum for automatically
#   generated logs), in a documented record format that a sample log proves: every record
#   validates, carries a request id, an RFC 3339 timestamp and this release's model version
#   (which the schema requires too), shows redaction, and holds no unredacted personal data.
# custom:
#   id: IOLOG
#   level: 1
#   stream: B
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 12(1)", "Art. 12(2)", "Art. 19(1)", "Art. 26(6)"]
#     nist_ai_rmf: ["MEASURE 2.4", "MEASURE 2.10", "MANAGE 4.1"]
#     iso_42001: ["A.6.2.8"]
package aigate.controls.iolog

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["reports", "io_log_sample"], null) != null

io := util.obj(["monitoring", "io_logging"])

min_days := util.conf(["thresholds", "io_log_retention_days"], 180)

deny contains f if {
	object.get(io, "enabled", false) != true
	f := {
		"rule": "io-logging-disabled",
		"msg": "input/output logging is not enabled; set monitoring.io_logging.enabled: true and log every request and response (redacted)",
		"pointer": "/monitoring/io_logging",
	}
}

deny contains f if {
	io.enabled == true
	object.get(io, "redaction", false) != true
	f := {
		"rule": "no-redaction",
		"msg": "I/O logs are not redacted; personal data and secrets would be stored. Redact before writing and set monitoring.io_logging.redaction: true",
		"pointer": "/monitoring/io_logging/redaction",
	}
}

deny contains f if {
	io.enabled == true
	days := util.number_or(object.get(io, "retention_days", null), 0)
	days < min_days
	f := {
		"rule": "retention-too-short",
		"msg": util.say("I/O log retention is %v days; policy requires at least %v (set monitoring.io_logging.retention_days)", [days, min_days]),
		"pointer": "/monitoring/io_logging/retention_days",
	}
}

deny contains f if {
	io.enabled == true
	not is_string(object.get(io, "schema", null))
	f := {
		"rule": "no-log-schema",
		"msg": "the I/O log record format is not documented; write a JSON Schema of one log record and set monitoring.io_logging.schema",
		"pointer": "/monitoring/io_logging",
	}
}

deny contains f if {
	some key in ["schema", "sample"]
	p := object.get(io, key, null)
	util.missing_file(p)
	f := {
		"rule": "log-file-missing",
		"msg": util.say("monitoring.io_logging.%s names %s, which does not exist; commit it or fix the path", [key, p]),
		"pointer": util.say("/monitoring/io_logging/%s", [key]),
	}
}

warn contains f if {
	io.enabled == true
	not is_string(object.get(io, "sample", null))
	f := {
		"rule": "no-sample-log",
		"msg": "no sample I/O log is declared, so the log format cannot be checked; commit a few redacted records (JSON Lines) and set monitoring.io_logging.sample",
		"pointer": "/monitoring/io_logging",
	}
}

# --- evidence: the sample validated against the schema -----------------------------------------
# input.reports.io_log_sample: {valid: bool, records: n, errors: [{line, message}], ...}

sample := object.get(input, ["reports", "io_log_sample"], null)

deny contains f if {
	sample != null
	object.get(sample, "valid", false) != true
	errs := object.get(sample, "errors", [])
	detail := concat("; ", [util.say("line %v: %v", [object.get(e, "line", "?"), object.get(e, "message", "")]) | some e in util.first_n(errs, 3)])
	f := {
		"rule": "sample-invalid",
		"msg": concat("", [
			util.say("the sample I/O log %s does not validate against %s (%v error(s): ", [object.get(io, "sample", "?"), object.get(io, "schema", "?"), count(errs)]),
			detail,
			"); fix the logger or the schema",
		]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

deny contains f if {
	sample != null
	object.get(sample, "valid", false) == true
	object.get(sample, "records", 0) == 0
	f := {
		"rule": "sample-empty",
		"msg": util.say("the sample I/O log %s has no records; commit at least one redacted record", [object.get(io, "sample", "?")]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

# --- evidence: what every record must show (aigate/ops/iolog.py) ------------------------------
# input.reports.io_log_sample also holds: fields {role: {accepted, schema_requires, missing
# {count, lines}}}, bad_timestamps, other_model_versions and unredacted ({count, lines}),
# redacted_records, expected_model_version. Roles and accepted keys: io_logging.required_fields.

sample_fields := util.get(sample, "fields", {})

first_of(xs) := xs[0] if {
	is_array(xs)
	count(xs) > 0
} else := {}

line_list(lines) := concat(", ", [util.say("%v", [util.get(l, "line", l)]) | some l in util.first_n(lines, 3)]) if is_array(lines)

else := "?"

# names(xs): a list of names for a message (any element type; not a list: empty)
names(xs) := concat(", ", [util.say("%v", [x]) | some x in xs]) if is_array(xs)

else := ""

deny contains f if {
	some role, facts in sample_fields
	util.get(facts, "schema_requires", null) == null
	f := {
		"rule": "schema-does-not-require-field",
		"msg": util.say("the I/O log schema %v does not require a %v field in its top-level required (accepted names: %v); a record without it would validate. Add one of them to required", [object.get(io, "schema", "?"), role, names(util.get(facts, "accepted", []))]),
		"pointer": "/monitoring/io_logging/schema",
	}
}

deny contains f if {
	some role, facts in sample_fields
	missing := util.get(facts, "missing", {})
	util.number_or(util.get(missing, "count", 0), 0) > 0
	f := {
		"rule": "record-missing-field",
		"msg": util.say("%v record(s) of the sample I/O log %v carry no %v (one of %v; line(s) %v); every record must, or the log cannot be traced back to a request and a release", [missing.count, object.get(io, "sample", "?"), role, names(util.get(facts, "accepted", [])), line_list(util.get(missing, "lines", []))]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

deny contains f if {
	bad := util.get(sample, "bad_timestamps", {})
	util.number_or(util.get(bad, "count", 0), 0) > 0
	first := first_of(util.get(bad, "lines", []))
	f := {
		"rule": "bad-timestamp",
		"msg": util.say("%v record(s) of the sample I/O log %v have a timestamp that is not RFC 3339 (line %v: %v = %v); log date-times like 2026-11-20T09:14:03Z", [bad.count, object.get(io, "sample", "?"), util.get(first, "line", "?"), util.get(first, "key", "?"), util.get(first, "value", "?")]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

# A release is gated before it serves traffic, so its sample usually comes from the version in
# production; the record format is what the sample proves. An organisation that captures a sample
# from each release candidate (staging, shadow traffic) makes a sample of another version block.
require_release_sample := util.conf(["io_logging", "require_release_sample"], false) == true

other_version_finding := f if {
	other := util.get(sample, "other_model_versions", {})
	util.number_or(util.get(other, "count", 0), 0) > 0
	first := first_of(util.get(other, "lines", []))
	f := {
		"rule": "sample-other-model-version",
		"msg": util.say("%v record(s) of the sample I/O log %v are from model version %v (line %v), not this release's %v; the format is checked, but re-capture the sample from %v (staging or shadow traffic) so it shows what this release logs", [other.count, object.get(io, "sample", "?"), util.get(first, "value", "?"), util.get(first, "line", "?"), util.m(["model", "version"]), util.m(["model", "version"])]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

deny contains other_version_finding if require_release_sample

warn contains other_version_finding if not require_release_sample

deny contains f if {
	object.get(io, "redaction", false) == true
	util.number_or(util.get(sample, "records", 0), 0) > 0
	util.get(sample, "redacted_records", null) == 0
	f := {
		"rule": "no-redaction-marker",
		"msg": util.say("redaction is declared but no record of the sample I/O log %v shows it: no redaction marker (e.g. [REDACTED], <redacted:email>, ***) and no redacted/redactions field; commit records as the logger writes them", [object.get(io, "sample", "?")]),
		"pointer": "/monitoring/io_logging/sample",
	}
}

deny contains f if {
	pii := util.get(sample, "unredacted", {})
	util.number_or(util.get(pii, "count", 0), 0) > 0
	first := first_of(util.get(pii, "lines", []))
	f := {
		"rule": "sample-unredacted",
		"msg": util.say("%v record(s) of the sample I/O log %v contain unredacted %v (line %v); redact personal data and secrets before they are logged, and never commit them", [pii.count, object.get(io, "sample", "?"), names(util.get(first, "kinds", ["data"])), util.get(first, "line", "?")]),
		"pointer": "/monitoring/io_logging/sample",
	}
}
