"""Environment collector (ENV): ``input.environment`` and the bundle's ``environment.json``.

What ran the release: Python, OS, libc, CPU, memory, accelerators, container image digest, CI
run, git commit, and the digests of the runtime config files the manifest names.

Secrets never enter evidence: environment variables are captured by **allowlist** (an
unknown variable is not recorded at all, only counted), and even an allowlisted one is
redacted by name and by value pattern (:mod:`aigate.redact`); each redaction is recorded.
GPUs are read from ``nvidia-smi`` when it is on PATH; torch is never imported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from aigate.collect import _pyenv
from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import CollectorError, InputError, Position
from aigate.hashing import sha256_file
from aigate.paths import resolve_inside
from aigate.redact import redact_mapping, redact_value

#: variables recorded when set (exact names), plus the prefixes below
ENV_ALLOW = frozenset(
    {
        "CI",
        "LANG",
        "LC_ALL",
        "TZ",
        "VIRTUAL_ENV",
        "CONDA_DEFAULT_ENV",
        "PYTHONHASHSEED",
        "PYTHONOPTIMIZE",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUTF8",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_REQUIRE_HASHES",
        "UV_INDEX_URL",
        "SOURCE_DATE_EPOCH",
        "CUDA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_NUMBER",
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_WORKFLOW",
        "GITHUB_WORKFLOW_REF",
        "GITHUB_JOB",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_REPOSITORY",
        "GITHUB_EVENT_NAME",
        "GITHUB_SERVER_URL",
        "GITHUB_ACTOR",
        "RUNNER_OS",
        "RUNNER_ARCH",
        "RUNNER_ENVIRONMENT",
        "GITLAB_CI",
        "CI_PIPELINE_ID",
        "CI_PIPELINE_SOURCE",
        "CI_JOB_ID",
        "CI_JOB_NAME",
        "CI_JOB_IMAGE",
        "CI_COMMIT_SHA",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_TAG",
        "CI_PROJECT_PATH",
        "CI_SERVER_URL",
        "CI_RUNNER_ID",
        "BUILDKITE",
        "CIRCLECI",
        "JENKINS_URL",
        "TF_BUILD",
        "AIGATE_IMAGE_DIGEST",
    }
)
#: a digest pinned image reference: ``name@sha256:<64 hex>``
_DIGEST_RE = re.compile(r"@(sha256:[0-9a-f]{64})$")


def capture_env(
    environ: dict[str, str] | os._Environ[str], extra_allow: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Allowlisted variables with secrets redacted; ``{env, redactions, omitted}``."""
    allow = ENV_ALLOW | extra_allow
    env: dict[str, str] = {}
    redactions: list[dict[str, str]] = []
    omitted = 0
    for name in sorted(environ):
        if name not in allow:
            omitted += 1
            continue
        value, reason = redact_value(name, environ[name])
        env[name] = value
        if reason is not None:
            redactions.append({"name": name, "reason": reason})
    return {"env": env, "redactions": redactions, "omitted_count": omitted}


def _os_release() -> dict[str, str] | None:
    for p in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = Path(p).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out: dict[str, str] = {}
        for line in text.splitlines():
            k, sep, v = line.partition("=")
            if sep and k in ("ID", "VERSION_ID", "PRETTY_NAME", "VERSION_CODENAME"):
                out[k.lower()] = v.strip().strip('"')
        return out
    return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("model name", "Hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or None


def _memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _accelerators() -> list[dict[str, Any]]:
    """GPUs from ``nvidia-smi`` when it exists; an empty list otherwise (never imports torch)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        proc = subprocess.run(
            [exe, "--query-gpu=name,driver_version,memory.total,uuid", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [{"vendor": "nvidia", "error": f"nvidia-smi failed: {exc}"}]
    if proc.returncode != 0:
        return [{"vendor": "nvidia", "error": f"nvidia-smi exited {proc.returncode}"}]
    gpus = []
    for line in proc.stdout.splitlines():
        parts = [x.strip() for x in line.split(",")]
        if len(parts) >= 4:
            mem = int(parts[2]) * 2**20 if parts[2].isdigit() else None
            gpus.append(
                {
                    "vendor": "nvidia",
                    "name": parts[0],
                    "driver": parts[1],
                    "memory_bytes": mem,
                    "uuid": parts[3],
                }
            )
    return gpus


def _container(manifest: dict[str, Any], environ: dict[str, str] | os._Environ[str]) -> dict[str, Any] | None:
    # what the pipeline says it deploys wins over what the manifest declares, so a policy can
    # compare the two; the CI job's own image is the last resort
    serving = manifest.get("serving")
    declared = serving.get("image") if isinstance(serving, dict) else None
    image, source = environ.get("AIGATE_IMAGE_DIGEST"), "ci"
    if not image and declared:
        image, source = declared, "manifest"
    if not image:
        image, source = environ.get("CI_JOB_IMAGE"), "ci-job"
    if not image or not isinstance(image, str):
        return None
    m = _DIGEST_RE.search(image)
    return {"image": image, "digest": m.group(1) if m else None, "pinned": bool(m), "source": source}


def _git_state(root: Path) -> dict[str, Any] | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        head = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            [git, "-C", str(root), "status", "--porcelain", "--untracked-files=normal"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {
        "commit": head.stdout.strip(),
        "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None,
    }


def _runtime_files(ctx: CollectContext) -> dict[str, str | None]:
    serving = ctx.manifest.get("serving") or {}
    files = serving.get("runtime_files") if isinstance(serving, dict) else None
    out: dict[str, str | None] = {}
    for i, rel in enumerate(files or []):
        path = resolve_inside(
            ctx.root,
            rel,
            what=f"runtime file (/serving/runtime_files/{i})",
            position=Position(str(ctx.manifest_path)),
        )
        # a missing runtime file is evidence (null digest) for the ENV policy, not a crash
        out[rel] = sha256_file(path) if path.is_file() else None
    return dict(sorted(out.items()))


def capture_environment(
    ctx: CollectContext, environ: dict[str, str] | os._Environ[str] | None = None
) -> dict[str, Any]:
    """The ``input.environment`` document (also the bytes of ``environment.json``)."""
    environ = os.environ if environ is None else environ
    interp, _dists = _pyenv.inspect(ctx.python)
    f = interp.facts
    evidence = ctx.options.get("evidence") or {}
    git = evidence.get("git") if isinstance(evidence.get("git"), dict) else None
    git_state = {"commit": git.get("commit"), "dirty": git.get("dirty")} if git else _git_state(ctx.root)
    if "ci" in evidence:
        ci = evidence["ci"]  # the CI collector ran first (aigate check)
    else:
        from aigate.collect.ci import detect_ci

        ci = detect_ci(environ)
    extra = frozenset(str(x) for x in (ctx.options.get("env_allow") or ()))
    envs = capture_env(environ, extra)
    exe_sha: str | None
    try:
        exe_sha = sha256_file(Path(os.path.realpath(interp.executable)))
    except (InputError, CollectorError):
        exe_sha = None
    doc = {
        "python": {
            "implementation": f.get("implementation"),
            "version": f.get("version"),
            "abi": f.get("abi"),
            "cache_tag": f.get("cache_tag"),
            "executable_sha256": exe_sha,
            "target": "current" if ctx.python is None else "--python",
            "prefix_is_venv": f.get("prefix") != f.get("base_prefix"),
        },
        "platform": {
            "system": f.get("system"),
            "release": f.get("release"),
            "machine": f.get("machine"),
            "tag": f.get("platform_tag"),
            "libc": {
                "name": (f.get("libc") or ["", ""])[0] or None,
                "version": (f.get("libc") or ["", ""])[1] or None,
            },
            "os_release": _os_release(),
        },
        "cpu": {"model": _cpu_model(), "count": os.cpu_count()},
        "memory_bytes": _memory_bytes(),
        "accelerators": _accelerators(),
        "container": _container(ctx.manifest, environ),
        "ci": ci,
        "git": git_state,
        "env": envs["env"],
        "env_omitted_count": envs["omitted_count"],
        "redactions": envs["redactions"],
        "runtime_files": _runtime_files(ctx),
    }
    # second net: CI metadata and git state come from elsewhere; scan every string once more
    clean, more = redact_mapping({k: v for k, v in doc.items() if k not in ("redactions", "env")})
    clean["env"] = doc["env"]  # already redacted by name and value above
    clean["redactions"] = sorted(envs["redactions"] + more, key=lambda r: (r["name"], r["reason"]))
    return dict(clean)


def to_json_bytes(data: Any) -> bytes:
    """Deterministic JSON bytes for the bundle: sorted keys, 2-space indent, trailing newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class EnvironmentCollector(Collector):
    """``input.environment`` and ``environment.json``."""

    key = "environment"

    def collect(self, ctx: CollectContext) -> Evidence:
        if ctx.fast:
            return Evidence(self.key, None, skipped="fast path")
        data = capture_environment(ctx)
        return Evidence(self.key, data, files={"environment.json": to_json_bytes(data)})
