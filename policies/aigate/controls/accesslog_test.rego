package aigate.controls.accesslog_test

import rego.v1

import data.aigate.controls.accesslog
import data.aigate.testing as t

run_accesslog(mf) := d if {
	c := t.cfg
	d := accesslog.deny with input.manifest as mf with data.aigate.config as c
}

test_pass_declared if {
	count(run_accesslog(t.manifest)) == 0
}

test_deny_disabled if {
	mf := t.with_patch([{"op": "replace", "path": "/access/logging/enabled", "value": false}])
	t.rule_names(run_accesslog(mf)) == {"access-logging-disabled"}
}

test_deny_retention_too_short if {
	mf := t.with_patch([{"op": "replace", "path": "/access/logging/retention_days", "value": 30}])
	some f in run_accesslog(mf)
	f.rule == "retention-too-short"
	f.msg == "access log retention is 30 days; policy requires at least 180 (set access.logging.retention_days)"
}

test_deny_no_sink if {
	mf := t.with_patch([{"op": "remove", "path": "/access/logging/sink"}])
	"no-sink" in t.rule_names(run_accesslog(mf))
}

test_threshold_comes_from_policy_data if {
	c := object.union(t.cfg, {"thresholds": {"access_log_retention_days": 400}})
	mf := t.manifest
	d := accesslog.deny with input.manifest as mf with data.aigate.config as c
	"retention-too-short" in t.rule_names(d)
}

# No collector inspects the log sink: the control is always declared-only.
test_basis_always_declared if {
	mf := t.manifest
	ev := {"python": {"version": "3.11"}}
	accesslog.basis == "declared" with input.manifest as mf with input.environment as ev
}
