"""``--sign`` parsing and the rule for unsigned evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigate.errors import SigningError, UsageError
from aigate.sign import SigningMode, require_signing, unsigned_evidence_allowed


def test_parse_modes():
    assert SigningMode.parse("none") == SigningMode("none")
    assert SigningMode.parse("keyless") == SigningMode("keyless")
    mode = SigningMode.parse("key:keys/release.pem")
    assert mode.kind == "key" and mode.key_path == Path("keys/release.pem") and mode.signs
    assert str(mode) == "key:keys/release.pem"


@pytest.mark.parametrize("bad", ["", "key:", "gpg", "KEYLESS", "key"])
def test_bad_mode_is_a_usage_error(bad):
    with pytest.raises(UsageError) as info:
        SigningMode.parse(bad)
    assert info.value.exit_code == 2


def test_recorded_ci_run_must_sign_unless_policy_allows():
    none = SigningMode("none")
    with pytest.raises(SigningError) as info:
        require_signing(none, dry_run=False, in_ci=True, policy_data={})
    assert info.value.exit_code == 3 and "allow_unsigned_evidence" in info.value.one_line()
    require_signing(none, dry_run=False, in_ci=True, policy_data={"allow_unsigned_evidence": True})
    require_signing(none, dry_run=True, in_ci=True, policy_data={})
    require_signing(none, dry_run=False, in_ci=False, policy_data={})
    require_signing(SigningMode("keyless"), dry_run=False, in_ci=True, policy_data={})


def test_only_a_literal_true_allows_unsigned():
    assert unsigned_evidence_allowed({"allow_unsigned_evidence": True})
    for value in ("true", 1, "yes", None):
        assert not unsigned_evidence_allowed({"allow_unsigned_evidence": value})
