"""Waivers from policy data: counted and shown, never silently dropped; broken ones deny."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from aigate_cli import EXAMPLES, aigate

FAILING = EXAMPLES / "fraud-detector-failing"
# Expiry is judged on the day of the run (the wall clock), never SOURCE_DATE_EPOCH or the commit
# time (issue 10, high #3): the waivers are dated relative to today, and SOURCE_DATE_EPOCH is set
# far in the past to show it decides nothing.
TODAY = dt.date.today()
EPOCH = str(int(dt.datetime(2020, 1, 1, 12, tzinfo=dt.timezone.utc).timestamp()))


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def _run(tmp_path: Path, waivers: list[dict], **extra: object) -> dict:
    data = yaml.safe_load((FAILING / "policy-data.yaml").read_text())
    data["waivers"] = waivers
    data.update(extra)
    path = tmp_path / "policy-data.yaml"
    path.write_text(yaml.safe_dump(data))
    run = aigate("check", "--dry-run", "--fast", "-C", str(FAILING), "--data", str(path), "--format", "json",
                 env={"SOURCE_DATE_EPOCH": EPOCH})
    assert run.returncode in (0, 1), run
    return json.loads(run.stdout)


def _by(doc: dict, control: str) -> list[dict]:
    return [f for f in doc["findings"] if f["control"] == control]


def test_active_waiver_turns_a_deny_into_waived(tmp_path: Path) -> None:
    waiver = {"control": "RBAC", "rule": "public-anonymous-endpoint", "reason": "public demo until SSO lands",
              "owner": "security@example.com", "expires": day(24)}
    doc = _run(tmp_path, [waiver])
    rbac = _by(doc, "RBAC")
    waived = [f for f in rbac if f["severity"] == "waived"]
    assert len(waived) == 1 and not waived[0]["blocking"]
    assert waived[0]["waiver"]["owner"] == "security@example.com"
    assert f"waived until {day(24)} by security@example.com" in waived[0]["message"]
    assert not [f for f in rbac if f["severity"] == "deny"]
    assert doc["summary"]["waived"] == 1
    assert doc["waivers"][0]["reason"] == "public demo until SSO lands"


def test_expired_ownerless_and_too_long_waivers_deny(tmp_path: Path) -> None:
    waivers = [
        {"control": "RBAC", "reason": "old", "owner": "a@example.com", "expires": day(-25)},
        {"control": "IOLOG", "reason": "no owner", "expires": day(5)},
        {"control": "MON", "reason": "too long", "owner": "b@example.com", "expires": day(340)},
    ]
    doc = _run(tmp_path, waivers, waiver_max_days=90)
    broken = [f for f in doc["findings"] if f["rule"] == "waiver-invalid"]
    messages = sorted(f["message"] for f in broken)
    assert len(broken) == 3 and all(f["severity"] == "deny" and f["blocking"] for f in broken)
    assert any(f"expired on {day(-25)}" in m for m in messages)
    assert any("has no owner" in m for m in messages)
    assert any("runs 340 days; policy allows at most 90" in m for m in messages)
    # a broken waiver waives nothing
    assert next(f for f in _by(doc, "RBAC") if f["rule"] == "public-anonymous-endpoint")["severity"] == "deny"
    assert doc["decision"] == "fail"


def test_waiving_every_blocking_control_passes_and_is_visible(tmp_path: Path) -> None:
    waivers = [{"control": c, "reason": "accepted risk, ticket SEC-1", "owner": "cto@example.com", "expires": day(35)}
               for c in ("ENV", "IOLOG", "MON", "RBAC")]
    doc = _run(tmp_path, waivers)
    assert doc["decision"] == "pass", [f for f in doc["findings"] if f["severity"] == "deny" and f["blocking"]]
    assert doc["summary"]["waived"] >= 4
    assert {w["control"] for w in doc["waivers"]} == {"ENV", "IOLOG", "MON", "RBAC"}
