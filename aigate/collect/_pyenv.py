"""The target Python environment: its interpreter facts and installed distributions.

Shared by the environment, lock, licenses and SBOM collectors, and read once per run (cached
on the interpreter and the mtimes of its ``sys.path`` directories).

Another environment (``--python``) is inspected without importing anything from it: one
short subprocess of that interpreter prints its ``sys.path`` and platform facts as JSON (it
imports only the standard library), then ``importlib.metadata`` reads the dist-info
directories on those paths in this process, the way ``cyclonedx-py environment`` and
``pip-licenses --python`` do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from aigate.errors import CollectorError, InputError

_PROBE = r"""
import json, os, platform, sys, sysconfig
impl = sys.implementation
iv = impl.version
ver = "{0.major}.{0.minor}.{0.micro}".format(iv)
if iv.releaselevel != "final":
    ver += iv.releaselevel[0] + str(iv.serial)
# PEP 508 marker environment, from the standard library only (packaging may be absent)
markers = {
    "implementation_name": impl.name,
    "implementation_version": ver,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
print(json.dumps({
    "path": sys.path,
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "implementation": platform.python_implementation(),
    "version": platform.python_version(),
    "cache_tag": impl.cache_tag,
    "abi": sysconfig.get_config_var("SOABI") or "",
    "platform_tag": sysconfig.get_platform(),
    "libc": list(platform.libc_ver()),
    "machine": platform.machine(),
    "system": platform.system(),
    "release": platform.release(),
    "markers": markers,
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """Facts about the target interpreter."""

    executable: str
    path: tuple[str, ...]
    facts: dict[str, Any]


@dataclass
class Dist:
    """One installed distribution, read from its dist-info directory (never imported)."""

    name: str
    normalized: str
    version: str
    location: str  # the dist-info directory
    metadata: dict[str, list[str]]  # header -> values (multi-valued headers keep all)
    installer: str | None = None
    requested: bool | None = None
    direct_url: dict[str, Any] | None = None
    wheel_tags: list[str] = field(default_factory=list)
    record_sha256: str | None = None
    requires: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    license_files: list[str] = field(default_factory=list)
    sboms: list[str] = field(default_factory=list)  # PEP 770 files under .dist-info/sboms/

    def first(self, header: str) -> str | None:
        values = self.metadata.get(header.lower())
        return values[0] if values else None


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    out = []
    prev_sep = False
    for ch in name.lower():
        if ch in "-_.":
            if not prev_sep:
                out.append("-")
            prev_sep = True
        else:
            out.append(ch)
            prev_sep = False
    return "".join(out)


def _current() -> Interpreter:
    try:
        from packaging.markers import default_environment

        markers: dict[str, str] | None = {k: str(v) for k, v in default_environment().items()}
    except Exception:  # packaging is a dependency of cyclonedx-bom; stay robust anyway
        markers = None
    path = [p for p in sys.path if p not in ("", os.getcwd())]
    facts = {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "cache_tag": sys.implementation.cache_tag,
        "abi": sysconfig.get_config_var("SOABI") or "",
        "platform_tag": sysconfig.get_platform(),
        "libc": list(platform.libc_ver()),
        "machine": platform.machine(),
        "system": platform.system(),
        "release": platform.release(),
        "markers": markers,
    }
    return Interpreter(sys.executable, tuple(path), facts)


def find_interpreter(python: str) -> Path:
    """A venv directory or an interpreter path -> the interpreter; InputError otherwise."""
    p = Path(python)
    if p.is_dir():
        for rel in ("bin/python", "bin/python3", "Scripts/python.exe"):
            if (p / rel).exists():
                return p / rel
        raise InputError(f"--python {python}: no bin/python in this directory; pass a venv or an interpreter")
    if not p.exists():
        raise InputError(f"--python {python}: no such file or directory")
    return p


def _probe(python: str) -> Interpreter:
    exe = find_interpreter(python)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    try:
        proc = subprocess.run(
            [str(exe), "-c", _PROBE], capture_output=True, text=True, timeout=60, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CollectorError(f"--python {python}: could not run the interpreter: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CollectorError(f"--python {python}: interpreter failed ({proc.returncode}): {last}")
    try:
        facts = json.loads(proc.stdout)
        path = [str(x) for x in facts["path"] if isinstance(x, str) and x]
    except (ValueError, KeyError, TypeError):
        raise CollectorError(
            f"--python {python}: interpreter printed something other than the probe's JSON"
        ) from None
    cwd = os.getcwd()
    path = [x for x in path if x != cwd]
    return Interpreter(str(facts.get("executable") or exe), tuple(path), facts)


_CACHE: dict[tuple[Any, ...], tuple[Interpreter, list[Dist]]] = {}


def _path_stamp(path: tuple[str, ...]) -> tuple[int, ...]:
    out = []
    for p in path:
        try:
            out.append(os.stat(p).st_mtime_ns)
        except OSError:
            out.append(0)
    return tuple(out)


_PROBES: dict[tuple[str, str, int], Interpreter] = {}


def _probe_cached(python: str) -> Interpreter:
    """One probe subprocess per interpreter (and its file's identity) per process."""
    exe = find_interpreter(python)
    try:
        st = os.stat(exe)
        key = (python, os.path.realpath(exe), st.st_mtime_ns ^ st.st_ino)
    except OSError:
        return _probe(python)
    hit = _PROBES.get(key)
    if hit is None:
        hit = _PROBES[key] = _probe(python)
    return hit


def inspect(python: str | None) -> tuple[Interpreter, list[Dist]]:
    """The interpreter and its distributions (sorted by normalized name), cached per run.

    The cache key includes the mtimes of the ``sys.path`` directories, so installing or
    removing a distribution between two calls is seen.
    """
    interp = _current() if python is None else _probe_cached(python)
    key = (interp.executable, interp.path, _path_stamp(interp.path))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    dists = read_distributions(list(interp.path))
    _CACHE.clear()
    _CACHE[key] = (interp, dists)
    return interp, dists


def parse_headers(text: str) -> dict[str, list[str]]:
    """Core-metadata headers (RFC 822 style) up to the first blank line; lowercase names.

    ``email.parser`` is ~0.5 ms per file and parses the long description body too; this
    reads only the headers, which is all the evidence needs (100 packages in a few ms).
    """
    out: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t" and last is not None:
            last[-1] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = out.setdefault(name.strip().lower(), [])
        last.append(value.strip())
    return out


def _read_text(dist: importlib_metadata.Distribution, name: str) -> str | None:
    try:
        return dist.read_text(name)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def read_distributions(path: list[str]) -> list[Dist]:
    """Every distribution on ``path``; first occurrence wins (like the import system).

    Broken metadata is data, not a crash: a dist-info without METADATA, or with a RECORD
    that does not parse, is listed with ``problems`` (the lock and the policy see it).
    """
    seen: dict[str, Dist] = {}
    for d in importlib_metadata.distributions(path=path):
        location = str(getattr(d, "_path", ""))
        problems: list[str] = []
        raw_meta = _read_text(d, "METADATA") or _read_text(d, "PKG-INFO")
        meta: dict[str, list[str]] = {}
        if raw_meta is None:
            problems.append("missing METADATA")
        else:
            meta = parse_headers(raw_meta)
        name: str | None = (meta.get("name") or [None])[0]  # type: ignore[list-item]
        version: str | None = (meta.get("version") or [None])[0]  # type: ignore[list-item]
        base = os.path.basename(location)
        if not name or not version:
            # fall back to the directory name ``name-version.dist-info``
            stem = base.rsplit(".", 1)[0]
            parts = stem.split("-")
            if not name:
                name = parts[0] if parts and parts[0] else base
                problems.append("METADATA has no Name")
            if not version:
                version = parts[1] if len(parts) > 1 else "0+unknown"
                problems.append("METADATA has no Version")
        norm = normalize(name)
        if norm in seen:
            continue
        dist = Dist(name=name, normalized=norm, version=version, location=location, metadata=meta)
        installer = _read_text(d, "INSTALLER")
        dist.installer = installer.strip() or None if installer is not None else None
        dist.requested = (_read_text(d, "REQUESTED") is not None) if base.endswith(".dist-info") else None
        du = _read_text(d, "direct_url.json")
        if du is not None:
            try:
                parsed = json.loads(du)
                dist.direct_url = parsed if isinstance(parsed, dict) else None
            except ValueError:
                problems.append("direct_url.json is not JSON")
        wheel = _read_text(d, "WHEEL")
        if wheel:
            dist.wheel_tags = sorted(
                line.split(":", 1)[1].strip()
                for line in wheel.splitlines()
                if line.lower().startswith("tag:")
            )
        record = _read_text(d, "RECORD")
        if record is None:
            if base.endswith(".dist-info"):
                problems.append("missing RECORD")
        else:
            dist.record_sha256 = hashlib.sha256(record.encode()).hexdigest()
            try:
                rows = list(csv.reader(io.StringIO(record)))
                bad = [i + 1 for i, r in enumerate(rows) if r and len(r) != 3]
                if bad:
                    problems.append(f"RECORD line {bad[0]} does not have 3 fields")
            except csv.Error as exc:
                problems.append(f"RECORD does not parse: {exc}")
        if "requires-dist" in meta or base.endswith(".dist-info"):
            dist.requires = list(meta.get("requires-dist", []))
        else:
            try:
                dist.requires = list(d.requires or [])  # egg-info: requires.txt
            except Exception:
                problems.append("requirements do not parse")
        dist.license_files = list(meta.get("license-file", []))
        sbom_dir = Path(location) / "sboms"
        if location and sbom_dir.is_dir():
            dist.sboms = sorted(str(p) for p in sbom_dir.iterdir() if p.is_file())
        dist.problems = problems
        seen[norm] = dist
    return sorted(seen.values(), key=lambda x: x.normalized)
