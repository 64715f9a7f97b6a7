"""Without a project lock file, the installed state is also written as a pip requirements file.

References: ``pip list`` of the same interpreter (what is installed, by pip's own reading) and
``packaging.requirements`` (every line is a valid PEP 508 requirement, pinned exactly).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from aigate.collect.lock import REQUIREMENTS_LOCK, LockCollector


def _parse(text: str) -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        req_text, *opts = line.split(" --hash=")
        req = Requirement(req_text)
        spec = str(req.specifier)
        out[canonicalize_name(req.name)] = (spec or str(req.url), opts)
    return out


def test_installed_state_as_requirements_matches_pip_list(make_ctx: Any) -> None:
    ctx = make_ctx({}, python=sys.executable)
    ev = LockCollector().collect(ctx)
    text = ev.files[REQUIREMENTS_LOCK].decode()
    assert "pin the\n# version, not the bytes" in text  # says what it cannot pin
    listed = json.loads(
        subprocess.run(
            [sys.executable, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
        ).stdout
    )
    pinned = _parse(text)
    commented = {
        canonicalize_name(line[2:].split("==")[0])
        for line in text.splitlines()
        if "==" in line and line.startswith("# ")
    }
    for pkg in listed:
        name = canonicalize_name(pkg["name"])
        if name in commented:  # editable / local-directory installs (aigate itself here)
            continue
        assert name in pinned, name
        spec, _ = pinned[name]
        assert spec == f"=={pkg['version']}" or "://" in spec or "+" in spec, (name, spec)
    assert "aigate" in commented  # the editable install of this checkout cannot be pinned from an index


def test_direct_url_archive_hash_is_carried(
    make_ctx: Any, fresh_venv: tuple[Path, Path], dist_writer: Any
) -> None:
    venv, site = fresh_venv
    d = dist_writer(site, "remote", "1.0")
    digest = "ab" * 32
    (d / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "https://example.test/remote-1.0-py3-none-any.whl",
                "archive_info": {"hashes": {"sha256": digest}},
            }
        )
    )
    dist_writer(site, "plain", "2.0")
    ev = LockCollector().collect(make_ctx({}, python=str(venv)))
    pinned = _parse(ev.files[REQUIREMENTS_LOCK].decode())
    assert pinned["remote"] == ("https://example.test/remote-1.0-py3-none-any.whl", [f"sha256:{digest}"])
    assert pinned["plain"] == ("==2.0", [])


def test_not_written_when_the_project_ships_a_lock(
    make_ctx: Any, fresh_venv: tuple[Path, Path], tmp_path: Path
) -> None:
    venv, _ = fresh_venv
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pylock.toml").write_text('lock-version = "1.0"\ncreated-by = "t"\npackages = []\n')
    ev = LockCollector().collect(
        make_ctx({"dependencies": {"pylock": "pylock.toml"}}, root=root, python=str(venv))
    )
    assert REQUIREMENTS_LOCK not in ev.files and "pylock.toml" in ev.files
