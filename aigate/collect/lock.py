"""Environment lock collector (DEP): ``input.dependencies.lock`` and ``env-lock.json``.

The lock records what is *installed*: per distribution its version, installer, whether it
was requested, its ``direct_url.json`` (VCS commit / archive hash), wheel tags, license
expression, and the SHA-256 of its RECORD file — a fingerprint of every installed file,
since RECORD lists each file's hash.

When the manifest names a PEP 751 ``pylock.toml`` or a hashed ``requirements.txt``, it is
copied into the bundle and cross-checked against the installed set; every difference is a
``lock_mismatches`` entry the DEP control turns into findings. A lock file that does not
parse is an input error naming its line (exit 2): an unreadable lock is not a consistent one.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from aigate.collect import _pyenv
from aigate.collect.environment import to_json_bytes
from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import InputError, Position
from aigate.paths import resolve_inside

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


#: the largest lock file read (a 5,000-package pylock.toml is about 5 MB)
LOCK_MAX_BYTES = 64 << 20


def lock_entry(d: _pyenv.Dist) -> dict[str, Any]:
    """One installed distribution as a lock entry (no absolute paths: bundles are portable)."""
    du = d.direct_url
    source: dict[str, Any] | None = None
    if du:
        source = {"url": du.get("url")}
        if isinstance(du.get("vcs_info"), dict):
            source["vcs"] = du["vcs_info"].get("vcs")
            source["commit"] = du["vcs_info"].get("commit_id")
        if isinstance(du.get("archive_info"), dict):
            ai = du["archive_info"]
            source["hashes"] = ai.get("hashes") or ({"legacy": ai["hash"]} if "hash" in ai else None)
        if isinstance(du.get("dir_info"), dict):
            source["editable"] = bool(du["dir_info"].get("editable"))
    return {
        "name": d.name,
        "normalized": d.normalized,
        "version": d.version,
        "installer": d.installer,
        "requested": d.requested,
        "direct_url": source,
        "wheel_tags": d.wheel_tags,
        "license_expression": d.first("License-Expression"),
        "record_sha256": d.record_sha256,
        "problems": d.problems,
    }


def _toml_error(path: str, exc: tomllib.TOMLDecodeError) -> InputError:
    m = re.search(r"line (\d+), column (\d+)", str(exc))
    pos = Position(path, int(m.group(1)), int(m.group(2))) if m else Position(path)
    return InputError(f"pylock file does not parse: {str(exc).split(' (at')[0]}", position=pos)


def _artifact_hashes(item: Any) -> dict[str, str]:
    hashes = item.get("hashes") if isinstance(item, dict) else None
    if not isinstance(hashes, dict):
        return {}
    return {str(k).lower(): str(v).lower() for k, v in hashes.items() if isinstance(v, str)}


def _pylock_artifacts(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's artifacts with their hashes: wheels (by file name), the sdist, an archive."""
    out: list[dict[str, Any]] = []
    for w in p.get("wheels") or []:
        if isinstance(w, dict) and (h := _artifact_hashes(w)):
            name = w.get("name") or str(w.get("url") or w.get("path") or "").rsplit("/", 1)[-1]
            out.append({"kind": "wheel", "name": str(name), "hashes": h})
    for kind in ("sdist", "archive"):
        if isinstance(p.get(kind), dict) and (h := _artifact_hashes(p[kind])):
            out.append({"kind": kind, "name": str(p[kind].get("name") or ""), "hashes": h})
    return out


def parse_pylock(text: str, display: str) -> dict[str, dict[str, Any]]:
    """PEP 751 ``pylock.toml`` -> {normalized name: {version, marker, artifacts}}."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(display, exc) from None
    if "lock-version" not in doc:
        raise InputError("not a PEP 751 lock file: no 'lock-version' key", position=Position(display))
    packages = doc.get("packages")
    if not isinstance(packages, list):
        raise InputError("PEP 751 lock file has no [[packages]] array", position=Position(display))
    out: dict[str, dict[str, Any]] = {}
    for i, p in enumerate(packages):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise InputError(f"packages[{i}] has no name", position=Position(display))
        out[_pyenv.normalize(p["name"])] = {
            "version": p.get("version"),
            "marker": p.get("marker"),
            "artifacts": _pylock_artifacts(p),
        }
    return out


def _wheel_tags(filename: str) -> set[str]:
    """The compressed tag set of a wheel file name, expanded: ``py2.py3-none-any`` → two tags."""
    parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
    if len(parts) < 5:
        return set()
    py, abi, plat = parts[-3:]
    return {f"{a}-{b}-{c}" for a in py.split(".") for b in abi.split(".") for c in plat.split(".")}


def locked_hashes(entry: dict[str, Any], dist: _pyenv.Dist) -> dict[str, str]:
    """The hashes the lock records for the artifact that was installed, when it can be told.

    A PEP 751 entry lists every wheel of the release; the installed one is the wheel whose tags
    are the dist-info's ``WHEEL`` tags. Otherwise a package with exactly one hashed artifact gives
    that one. A requirements file's ``--hash`` values name no file; they are kept only when there
    is exactly one. Ambiguity gives nothing rather than a hash of some other file.
    """
    if entry.get("version") not in (None, dist.version):
        return {}
    artifacts = entry.get("artifacts")
    if artifacts is None:  # requirements.txt
        hashes = [h.split(":", 1) for h in entry.get("hashes") or [] if ":" in h]
        return {hashes[0][0]: hashes[0][1].lower()} if len(hashes) == 1 else {}
    installed = set(dist.wheel_tags)
    if installed:
        wheels = [a for a in artifacts if a["kind"] == "wheel" and _wheel_tags(a["name"]) == installed]
        if len(wheels) == 1:
            return dict(wheels[0]["hashes"])
    return dict(artifacts[0]["hashes"]) if len(artifacts) == 1 else {}


_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*([^\s;\\]+)\s*(;[^\\#]*)?")


def parse_requirements(text: str, display: str) -> dict[str, dict[str, Any]]:
    """A pinned, hashed ``requirements.txt`` -> {normalized name: {version, marker, hashes}}.

    Every requirement must be pinned with ``==`` and carry ``--hash``: that is what makes a
    requirements file a lock. Anything else is an input error naming the line.
    """
    out: dict[str, dict[str, Any]] = {}
    logical: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            logical.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        logical.append((start, buf.strip()))
    for n, line in logical:
        if line.startswith("-"):
            if line.startswith(
                ("--hash", "-i ", "--index-url", "--extra-index-url", "--find-links", "--require-hashes")
            ):
                continue
            raise InputError(
                f"unsupported option in a hashed requirements file: {line.split()[0]}",
                position=Position(display, n),
            )
        m = _REQ_LINE.match(line)
        if not m:
            raise InputError(
                "requirement is not pinned with '=='",
                position=Position(display, n),
                hint="a lock pins every package",
            )
        # without --hash the versions are still cross-checked; the DEP control warns that
        # such a file pins versions but not artifacts (see lockfile["hashed"])
        hashes = re.findall(r"--hash[= ]\s*([a-z0-9]+:[0-9a-fA-F]+)", line)
        marker = m.group(4)[1:].strip() if m.group(4) else None
        out[_pyenv.normalize(m.group(1))] = {"version": m.group(3), "marker": marker, "hashes": hashes}
    return out


def _marker_applies(marker: str | None, env: dict[str, str] | None) -> bool:
    if not marker or env is None:
        return True
    try:
        from packaging.markers import InvalidMarker, Marker

        return bool(Marker(marker).evaluate(env))
    except (InvalidMarker, Exception):
        return True  # an unreadable marker: assume it applies (the mismatch stays visible)


def cross_check(
    installed: list[dict[str, Any]], locked: dict[str, dict[str, Any]], markers: dict[str, str] | None
) -> list[dict[str, Any]]:
    """Installed must be locked at the same version; every applicable lock entry must be installed."""
    from packaging.version import InvalidVersion, Version

    def same(a: str | None, b: str | None) -> bool:
        if a is None or b is None:
            return a == b
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return a == b

    out: list[dict[str, Any]] = []
    have = {p["normalized"]: p for p in installed}
    for norm, p in sorted(have.items()):
        entry = locked.get(norm)
        if entry is None:
            out.append({"name": p["name"], "installed": p["version"], "locked": None, "kind": "not-locked"})
        elif entry.get("version") is not None and not same(p["version"], entry["version"]):
            out.append(
                {"name": p["name"], "installed": p["version"], "locked": entry["version"], "kind": "version"}
            )
    for norm, entry in sorted(locked.items()):
        if norm not in have and _marker_applies(entry.get("marker"), markers):
            out.append(
                {"name": norm, "installed": None, "locked": entry.get("version"), "kind": "not-installed"}
            )
    return out


def _declared_lockfile(manifest: dict[str, Any]) -> tuple[str, str, str] | None:
    deps = manifest.get("dependencies") or {}
    if not isinstance(deps, dict):
        return None
    if deps.get("pylock"):
        return "/dependencies/pylock", str(deps["pylock"]), "pylock"
    if deps.get("requirements"):
        return "/dependencies/requirements", str(deps["requirements"]), "requirements"
    return None


#: the installed state in a form pip installs from, written when the project ships no lock file
REQUIREMENTS_LOCK = "requirements.lock.txt"

_PIP_HASH_ALGS = ("sha256", "sha384", "sha512")


def _requirement_line(d: _pyenv.Dist) -> str:
    """One installed distribution as a pip requirement: pinned, hashed where the hash is known."""
    du: dict[str, Any] = d.direct_url or {}
    url = du.get("url") if isinstance(du.get("url"), str) else None
    vcs: dict[str, Any] = du["vcs_info"] if isinstance(du.get("vcs_info"), dict) else {}
    if url and vcs.get("commit_id"):
        return f"{d.normalized} @ {vcs.get('vcs')}+{url}@{vcs['commit_id']}"
    if url and (url.startswith("file:") or isinstance(du.get("dir_info"), dict)):
        return f"# {d.normalized}=={d.version}  (installed from a local path or directory: not reproducible from an index)"
    line = f"{d.normalized}=={d.version}"
    ai: dict[str, Any] = du["archive_info"] if isinstance(du.get("archive_info"), dict) else {}
    hashes: dict[str, Any] = ai["hashes"] if isinstance(ai.get("hashes"), dict) else {}
    if url and not url.startswith("file:"):
        line = f"{d.normalized} @ {url}"
    known = [f"--hash={alg}:{hashes[alg]}" for alg in _PIP_HASH_ALGS if isinstance(hashes.get(alg), str)]
    return " ".join([line, *known])


def requirements_lock(dists: list[_pyenv.Dist], facts: dict[str, Any]) -> bytes:
    """The installed state as a requirements file (``pip install -r``), with what it cannot pin said.

    pip records an artifact hash only for direct-URL installs (PEP 610 ``archive_info``); for
    packages installed from an index no hash of the wheel survives installation, so those lines
    pin the version, not the bytes. The header says so: this file reproduces versions, and bytes
    only where a hash is listed. A pylock.toml the project ships is the stronger record.
    """
    lines = [
        "# The installed state of the environment aigate inspected, as pip requirements.",
        f"# Python {facts.get('version')} ({facts.get('implementation')}, {facts.get('platform_tag')}).",
        "# Every installed distribution is pinned by version; --hash appears only where the installer",
        "# recorded the artifact's hash (PEP 610 direct-URL installs). Lines without a hash pin the",
        "# version, not the bytes: prefer a hashed PEP 751 pylock.toml (dependencies.pylock).",
        "# Editable and local-directory installs are listed as comments: they cannot be reinstalled",
        "# from an index.",
    ]
    lines += sorted(_requirement_line(d) for d in dists)
    return ("\n".join(lines) + "\n").encode("utf-8")


def read_declared_lock(ctx: CollectContext) -> tuple[str, str, bytes, dict[str, dict[str, Any]]] | None:
    """(path, format, raw bytes, parsed entries) of the lock file the manifest names, or None."""
    declared = _declared_lockfile(ctx.manifest)
    if declared is None:
        return None
    pointer, rel, fmt = declared
    where = Position(ctx.manifest_display)
    path = resolve_inside(ctx.root, rel, what=f"lock file ({pointer})", position=where)
    try:
        with path.open("rb") as fh:  # bounded before it allocates: a lock file is text, not gigabytes
            raw = fh.read(LOCK_MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"lock file ({pointer}) {rel!r} does not exist", position=where) from None
    except OSError as exc:
        raise InputError(f"lock file ({pointer}) {rel!r}: {exc.strerror}", position=where) from None
    if len(raw) > LOCK_MAX_BYTES:
        raise InputError(
            f"lock file ({pointer}) {rel!r} is over the {LOCK_MAX_BYTES}-byte limit", position=where
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("lock file is not UTF-8", position=Position(rel)) from None
    locked = parse_pylock(text, rel) if fmt == "pylock" else parse_requirements(text, rel)
    return rel, fmt, raw, locked


def collect_lock(ctx: CollectContext) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(``input.dependencies`` part, bundle files) for the target environment."""
    interp, dists = _pyenv.inspect(ctx.python)
    packages = [lock_entry(d) for d in dists]
    files: dict[str, bytes] = {}
    lock_doc = {
        "format": "aigate-env-lock/1",
        "python": {
            "implementation": interp.facts.get("implementation"),
            "version": interp.facts.get("version"),
            "abi": interp.facts.get("abi"),
            "platform_tag": interp.facts.get("platform_tag"),
        },
        "packages": packages,
    }
    lockfile: dict[str, Any] | None = None
    mismatches: list[dict[str, Any]] = []
    declared = read_declared_lock(ctx)
    if declared is not None:
        rel, fmt, raw, locked = declared
        mismatches = cross_check(packages, locked, interp.facts.get("markers"))
        files["pylock.toml" if fmt == "pylock" else "requirements.txt"] = raw
        lockfile = {
            "path": rel,
            "format": fmt,
            "packages_count": len(locked),
            "hashed": fmt == "pylock" or all(entry.get("hashes") for entry in locked.values()),
        }
    files["env-lock.json"] = to_json_bytes(lock_doc)
    if declared is None:
        files[REQUIREMENTS_LOCK] = requirements_lock(dists, interp.facts)
    data = {
        # the per-package list lives in env-lock.json: policies see counts, so a 5,000-package
        # environment does not slow every evaluation (docs/input.md)
        "lock": {"source": "installed", "packages_count": len(packages)},
        "lockfile": lockfile,
        "lock_mismatches": mismatches,
        "broken_distributions": [
            {"name": p["name"], "problems": p["problems"]} for p in packages if p["problems"]
        ],
    }
    return data, files


class LockCollector(Collector):
    """``input.dependencies.lock``/``lockfile``/``lock_mismatches`` and ``env-lock.json``."""

    key = "dependencies"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path")
        data, files = collect_lock(ctx)
        return Evidence(self.key, data, files=files)
