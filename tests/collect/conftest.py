"""Fixtures for the evidence collectors: real files, real dist-info trees, real interpreters."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigate.collect.interface import CollectContext

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def default_policy_data() -> dict[str, Any]:
    return yaml.safe_load((REPO / "aigate" / "data" / "default-policy-data.yaml").read_text())


def write_safetensors(path: Path, n: int = 4) -> None:
    """A real safetensors file: 8-byte header length, JSON header, raw float32 data."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(header)) + header + struct.pack(f"<{n}f", *range(n)))


@pytest.fixture
def make_ctx(tmp_path: Path, default_policy_data: dict[str, Any]) -> Callable[..., CollectContext]:
    def make(manifest: dict[str, Any], root: Path | None = None, **kw: Any) -> CollectContext:
        r = (root or tmp_path / "proj").resolve()
        r.mkdir(parents=True, exist_ok=True)
        options = {"timestamp": 1_700_000_000, **kw.pop("options", {})}
        return CollectContext(
            root=r,
            manifest=manifest,
            manifest_path=r / "aigate.yaml",
            manifest_digest="0" * 64,
            policy_data=kw.pop("policy_data", default_policy_data),
            options=options,
            **kw,
        )

    return make


@pytest.fixture(scope="session")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv without pip (fast to create); tests add synthetic dist-info directories to it."""
    d = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(d)], check=True)
    return d


def site_packages(venv: Path) -> Path:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def add_dist(
    site: Path,
    name: str,
    version: str,
    headers: dict[str, str | list[str]] | None = None,
    *,
    metadata: bool = True,
    record: str | None = "",
) -> Path:
    """Write ``name-version.dist-info`` the way an installer does (METADATA, RECORD, INSTALLER)."""
    d = site / f"{name.replace('-', '_')}-{version}.dist-info"
    d.mkdir(parents=True, exist_ok=True)
    if metadata:
        lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}"]
        for k, v in (headers or {}).items():
            for item in [v] if isinstance(v, str) else v:
                lines.append(f"{k}: {item}")
        (d / "METADATA").write_text("\n".join(lines) + "\n\nLong description body.\n")
    if record is not None:
        (d / "RECORD").write_text(record or f"{d.name}/METADATA,sha256=abc,10\n{d.name}/RECORD,,\n")
    (d / "INSTALLER").write_text("pip\n")
    return d


@pytest.fixture(scope="session")
def safetensors_writer() -> Callable[..., None]:
    return write_safetensors


@pytest.fixture(scope="session")
def dist_writer() -> Callable[..., Path]:
    return add_dist


@pytest.fixture
def fresh_venv(tmp_path: Path) -> tuple[Path, Path]:
    """(venv, its site-packages): a real interpreter environment with nothing installed."""
    d = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(d)], check=True)
    return d, site_packages(d)
