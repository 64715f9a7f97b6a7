package aigate.controls.encrypt_test

import rego.v1

import data.aigate.controls.encrypt
import data.aigate.testing as t

run_encrypt(mf) := {"deny": d, "warn": w} if {
	c := t.cfg
	d := encrypt.deny with input.manifest as mf with data.aigate.config as c
	w := encrypt.warn with input.manifest as mf with data.aigate.config as c
}

test_pass_declared if {
	r := run_encrypt(t.manifest)
	count(r.deny) == 0
	count(r.warn) == 0
}

test_deny_no_encryption_section if {
	mf := t.with_patch([{"op": "remove", "path": "/encryption"}])
	r := run_encrypt(mf)
	t.rule_names(r.deny) == {"at-rest-not-encrypted", "logs-not-encrypted"}
	"tls-undeclared" in t.rule_names(r.warn)
}

test_deny_no_kms_key if {
	mf := t.with_patch([{"op": "remove", "path": "/encryption/logs/kms_key"}])
	some f in run_encrypt(mf).deny
	f.rule == "no-kms-key"
	f.pointer == "/encryption/logs"
}

test_deny_unmanaged_key if {
	mf := t.with_patch([{"op": "replace", "path": "/encryption/at_rest/kms_key", "value": "my-secret-password"}])
	some f in run_encrypt(mf).deny
	f.rule == "unmanaged-key"
	f.pointer == "/encryption/at_rest/kms_key"
}

test_deny_tls_off if {
	mf := t.with_patch([{"op": "replace", "path": "/encryption/in_transit/tls", "value": false}])
	"no-tls" in t.rule_names(run_encrypt(mf).deny)
}

test_basis_always_declared if {
	mf := t.manifest
	encrypt.basis == "declared" with input.manifest as mf
}
