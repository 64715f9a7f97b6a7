# METADATA
# title: I/O logging
# description: >-
#   Model inputs and outputs are logged with personal data redacted and kept at least as long as
#   the organisation requires (six months by default, the EU AI Act minimum for automatically
#   generated logs), in a documented record format that a sample log proves.
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
# input.reports.io_log_sample: {valid: bool, records: n, errors: [{line, message}]}

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
