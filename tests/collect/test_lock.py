"""Environment lock and its cross-check against pylock.toml / hashed requirements."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from aigate.collect.lock import LockCollector, parse_requirements
from aigate.errors import InputError


def _env(fresh_venv: tuple[Path, Path], dist_writer: Any) -> Path:
    venv, site = fresh_venv
    dist_writer(site, "alpha", "1.0.0", {"License-Expression": "MIT", "Requires-Dist": "beta>=2"})
    dist_writer(site, "beta", "2.1.0")
    d = dist_writer(site, "gamma-pkg", "0.3")
    (d / "direct_url.json").write_text(
        json.dumps(
            {"url": "https://github.com/acme/gamma", "vcs_info": {"vcs": "git", "commit_id": "c" * 40}}
        )
    )
    (d / "WHEEL").write_text("Wheel-Version: 1.0\nTag: py3-none-any\n")
    (d / "REQUESTED").write_text("")
    return venv


def test_lock_records_installed_state(make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any) -> None:
    venv = _env(fresh_venv, dist_writer)
    ev = LockCollector().collect(make_ctx({}, python=str(venv)))
    env_lock = json.loads(ev.files["env-lock.json"])
    pkgs = {p["name"]: p for p in env_lock["packages"]}
    assert set(pkgs) == {"alpha", "beta", "gamma-pkg"}
    g = pkgs["gamma-pkg"]
    assert g["direct_url"] == {"url": "https://github.com/acme/gamma", "vcs": "git", "commit": "c" * 40}
    assert g["wheel_tags"] == ["py3-none-any"] and g["requested"] is True and g["installer"] == "pip"
    record = (fresh_venv[1] / "alpha-1.0.0.dist-info" / "RECORD").read_bytes()
    assert pkgs["alpha"]["record_sha256"] == hashlib.sha256(record).hexdigest()
    assert pkgs["alpha"]["license_expression"] == "MIT"
    assert ev.data["lockfile"] is None and ev.data["lock_mismatches"] == []
    assert ev.data["lock"] == {"source": "installed", "packages_count": 3}  # the list stays in env-lock.json


def test_pylock_cross_check(make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any) -> None:
    venv = _env(fresh_venv, dist_writer)
    ctx = make_ctx({"dependencies": {"pylock": "pylock.toml"}}, python=str(venv))
    text = """lock-version = "1.0"
created-by = "test"

[[packages]]
name = "alpha"
version = "1.0.0"

[[packages]]
name = "Beta"
version = "2.0.0"

[[packages]]
name = "delta"
version = "4.0"

[[packages]]
name = "winonly"
version = "1.0"
marker = "sys_platform == 'win32'"
"""
    (ctx.root / "pylock.toml").write_text(text)
    ev = LockCollector().collect(ctx)
    assert ev.data["lockfile"] == {"path": "pylock.toml", "format": "pylock", "packages_count": 4, "hashed": True}
    assert ev.files["pylock.toml"] == text.encode()
    assert sorted((m["name"], m["kind"]) for m in ev.data["lock_mismatches"]) == [
        ("beta", "version"),
        ("delta", "not-installed"),
        ("gamma-pkg", "not-locked"),
    ]


def test_pylock_that_does_not_parse_names_the_line(make_ctx: Any) -> None:
    ctx = make_ctx({"dependencies": {"pylock": "pylock.toml"}})
    (ctx.root / "pylock.toml").write_text('lock-version = "1.0"\n[[packages]\nname = 1\n')
    with pytest.raises(InputError) as err:
        LockCollector().collect(ctx)
    assert err.value.one_line().startswith("pylock.toml:2:")


def test_hashed_requirements(make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any) -> None:
    venv = _env(fresh_venv, dist_writer)
    ctx = make_ctx({"dependencies": {"requirements": "requirements.txt"}}, python=str(venv))
    (ctx.root / "requirements.txt").write_text(
        "# locked\nalpha==1.0.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"
        "beta==2.1.0 --hash=sha256:" + "b" * 64 + "\n"
        "gamma-pkg==0.4 --hash=sha256:" + "c" * 64 + "\n"
    )
    ev = LockCollector().collect(ctx)
    assert [(m["name"], m["kind"]) for m in ev.data["lock_mismatches"]] == [("gamma-pkg", "version")]
    assert "requirements.txt" in ev.files
    assert ev.data["lockfile"]["hashed"] is True
    # unhashed: versions are still cross-checked; the DEP control warns (lockfile.hashed false)
    assert parse_requirements("alpha==1.0\n", "requirements.txt") == {"alpha": {"version": "1.0", "marker": None, "hashes": []}}
    (ctx.root / "requirements.txt").write_text("alpha==1.0.0\nbeta==2.1.0\ngamma-pkg==0.5\n")
    unhashed = LockCollector().collect(ctx)
    assert unhashed.data["lockfile"]["hashed"] is False
    assert [(m["name"], m["kind"]) for m in unhashed.data["lock_mismatches"]] == [("gamma-pkg", "version")]
    with pytest.raises(InputError, match="not pinned"):
        parse_requirements("alpha>=1.0 --hash=sha256:00\n", "requirements.txt")


def test_broken_dist_info_is_data_not_a_crash(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    dist_writer(site, "nometa", "1.0", metadata=False)
    dist_writer(site, "badrecord", "2.0", record="a,b\nonly-one-field\n")
    dist_writer(site, "norecord", "3.0", record=None)
    ev = LockCollector().collect(make_ctx({}, python=str(venv)))
    broken = {b["name"]: b["problems"] for b in ev.data["broken_distributions"]}
    assert broken == {
        "badrecord": ["RECORD line 1 does not have 3 fields"],
        "nometa": ["missing METADATA", "METADATA has no Name", "METADATA has no Version"],
        "norecord": ["missing RECORD"],
    }


def test_fast_path(make_ctx: Any) -> None:
    ev = LockCollector().collect(make_ctx({}, fast=True))
    assert ev.data is None and ev.skipped
