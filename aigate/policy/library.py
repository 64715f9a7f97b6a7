"""Policy sets: the built-in control library and user policy directories, plus their metadata.

aigate reads OPA ``# METADATA`` blocks itself (regopy has no ``rego.metadata``), so the control
catalog — ids, levels, streams, regulatory references — is the same whichever engine evaluates.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

from aigate.errors import InputError, Position
from aigate.policy import regolint
from aigate.policy.interface import PolicyModule
from aigate.report.interface import ControlInfo

if TYPE_CHECKING:
    from aigate.policy.opabundle import BundleKey

MAX_POLICY_BYTES = 1024 * 1024
CONTROLS_PACKAGE = "aigate.controls"
# DESIGN.md's table order: level 1 A, 1 B, 2 A, 2 B, 3 A, 3 B, then the extensions
CONTROL_ORDER = (
    "ENV",
    "DEP",
    "TRACK",
    "MON",
    "IOLOG",
    "USAGE",
    "APPROVAL",
    "ROLLBACK",
    "AUDIT",
    "RBAC",
    "ACCESSLOG",
    "ENCRYPT",
    "COMPLY",
    "AUTOMATE",
    "AUDITREADY",
    "RESILIENCE",
    "DRIFT",
    "ALERT",
    "MODELSAFE",
    "LICENSE",
)


def builtin_policy_dir() -> Path:
    """The built-in library: inside the wheel (``aigate/_policies``) or the source checkout."""
    packaged = Path(str(resources.files("aigate"))) / "_policies"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "policies"
    if source.is_dir():
        return source
    raise InputError("the built-in policy library is missing from this installation (reinstall aigate)")


@dataclass(frozen=True)
class PolicySet:
    modules: tuple[PolicyModule, ...]
    tests: tuple[PolicyModule, ...] = ()
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # package -> package metadata
    data: dict[str, Any] = field(default_factory=dict)  # documents from OPA bundles (under data.)
    data_files: tuple[tuple[str, str], ...] = ()  # (name, sha256) of bundle data/manifest files

    @property
    def digest(self) -> str:
        """sha256 over the sorted (name, sha256(source)) list: pins the exact policy set."""
        h = hashlib.sha256()
        for m in sorted(self.modules, key=lambda m: m.name):
            h.update(f"{m.name}\0{hashlib.sha256(m.source.encode()).hexdigest()}\n".encode())
        for name, sha in sorted(self.data_files):  # bundle data: a changed value is a changed policy set
            h.update(f"{name}\0{sha}\n".encode())
        return "sha256:" + h.hexdigest()

    def packages(self) -> list[str]:
        return sorted({m.package for m in self.modules})


def package_of(source: str, name: str) -> str:
    """The package declared by the module's parsed ``package`` statement (never a line regex)."""
    return regolint.package_of(source, name)


def parse_metadata(source: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    """Every ``# METADATA`` block with the 1-based line of the statement that follows it."""
    lines = source.splitlines()
    blocks: list[tuple[int, dict[str, Any]]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "# METADATA":
            start = i + 1
            body: list[str] = []
            j = start
            while j < len(lines) and lines[j].lstrip().startswith("#"):
                text = lines[j].lstrip()[1:]
                body.append(text[1:] if text.startswith(" ") else text)
                j += 1
            try:
                meta = yaml.load("\n".join(body), Loader=_YamlLoader) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = start + 1 + (mark.line if mark else 0)
                raise InputError(
                    "invalid # METADATA block (not YAML)", position=Position(name, line)
                ) from None
            if not isinstance(meta, dict):
                raise InputError("invalid # METADATA block (not a mapping)", position=Position(name, start))
            blocks.append((j + 1, meta))
            i = j
        else:
            i += 1
    return blocks


def _package_metadata(source: str, name: str) -> dict[str, Any]:
    """The metadata block that annotates the package statement (scope: package)."""
    try:
        package_line = regolint.parse_package(regolint.head_tokens(source, name), name)[1].line
    except InputError:
        return {}
    for line, meta in parse_metadata(source, name):
        if line == package_line and meta.get("scope", "package") in ("package", "subpackages"):
            return meta
    return {}


def load_dir(
    path: Path, *, builtin: bool, display_root: Path | None = None
) -> tuple[list[PolicyModule], list[PolicyModule]]:
    """Load ``*.rego`` under ``path``: (policy modules, test modules)."""
    if not path.exists():
        raise InputError("policy directory not found", position=Position(str(path)))
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.rego") if p.is_file())
    modules: list[PolicyModule] = []
    tests: list[PolicyModule] = []
    for file in files:
        if builtin:
            name = "builtin:" + file.relative_to(path).as_posix()
        else:
            base = display_root or Path.cwd()
            try:
                name = file.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                name = str(file)
        if file.stat().st_size > MAX_POLICY_BYTES:
            raise InputError(f"policy file is larger than {MAX_POLICY_BYTES} bytes", position=Position(name))
        raw = file.read_bytes()
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("policy file is not valid UTF-8", position=Position(name)) from None
        module = PolicyModule(name, source, builtin, package_of(source, name))
        (tests if file.name.endswith("_test.rego") else modules).append(module)
    return modules, tests


@functools.lru_cache(maxsize=1)
def builtin_set() -> PolicySet:
    modules, tests = load_dir(builtin_policy_dir(), builtin=True)
    meta = {m.package: _package_metadata(m.source, m.name) for m in modules}
    return PolicySet(tuple(modules), tuple(tests), meta)


def user_set(
    dirs: list[str] | tuple[str, ...],
    bundle_key: str | None = None,
    *,
    keys: tuple[BundleKey, ...] = (),
    defer_verification: bool = False,
) -> PolicySet:
    """The user's policies: directories and files of ``.rego``, and OPA bundles (verified).

    ``bundle_key`` (the flag) and ``keys`` (from the policy data) verify every bundle;
    ``defer_verification`` loads bundles unverified for a caller that verifies them later with
    :func:`verify_bundles` (the policy data that may name the key is read after).
    """
    from aigate.policy import opabundle

    modules: list[PolicyModule] = []
    tests: list[PolicyModule] = []
    data: dict[str, Any] = {}
    data_files: list[tuple[str, str]] = []
    for d in dirs:
        if opabundle.is_bundle(d):  # an OPA bundle.tar.gz: verified, split into modules and data
            bundle = opabundle.load_bundle(d, bundle_key, keys=keys, defer_verification=defer_verification)
            modules.extend(bundle.modules)
            tests.extend(bundle.tests)
            opabundle.merge_into(data, bundle.data, d)
            data_files.extend(bundle.files)
            continue
        mods, tsts = load_dir(Path(d), builtin=False)
        if not mods and not tsts:
            raise InputError("policy directory has no .rego files", position=Position(d))
        modules.extend(mods)
        tests.extend(tsts)
    meta = {m.package: _package_metadata(m.source, m.name) for m in modules}
    return PolicySet(tuple(modules), tuple(tests), meta, data, tuple(data_files))


def has_bundles(dirs: list[str] | tuple[str, ...]) -> bool:
    """Whether any ``--policy`` is an OPA bundle (verified by :func:`verify_bundles`)."""
    from aigate.policy import opabundle

    return any(opabundle.is_bundle(d) for d in dirs)


def verify_bundles(
    user: PolicySet,
    dirs: list[str] | tuple[str, ...],
    bundle_key: str | None,
    policy: dict[str, Any],
    root: Path,
    base: str | None,
) -> PolicySet:
    """``user`` with its OPA bundles read again and verified with the flag's key and the key the
    policy data names (``policy_bundles``); unchanged when ``dirs`` holds no bundle.

    A key in the policy data makes an unsigned bundle exit 2, like the flag does; a signed
    bundle with neither key is refused here.
    """
    from aigate.policy import opabundle

    if not has_bundles(dirs):
        return user
    key = opabundle.policy_data_key(policy, root, base)
    return user_set(dirs, bundle_key, keys=(key,) if key else ())


def control_catalog(policies: PolicySet | None = None) -> tuple[ControlInfo, ...]:
    """The controls, from the built-in library's package metadata, in AIMA order."""
    policies = policies or builtin_set()
    out: list[ControlInfo] = []
    for module in policies.modules:
        if not module.package.startswith(CONTROLS_PACKAGE + "."):
            continue
        meta = policies.metadata.get(module.package) or {}
        custom = meta.get("custom") or {}
        if "id" not in custom:
            raise InputError(
                "built-in control has no 'custom.id' in its # METADATA", position=Position(module.name, 1)
            )
        refs = custom.get("references") or {}
        out.append(
            ControlInfo(
                id=str(custom["id"]),
                title=str(meta.get("title", custom["id"])),
                level=int(custom["level"]) if custom.get("level") is not None else None,
                stream=str(custom["stream"]) if custom.get("stream") is not None else None,
                kind=str(custom.get("kind", "aima")),
                description=" ".join(str(meta.get("description", "")).split()),
                references={str(k): [str(x) for x in v] for k, v in refs.items()},
                package=module.package,
                file=module.name,
            )
        )
    rank = {cid: i for i, cid in enumerate(CONTROL_ORDER)}
    out.sort(key=lambda c: (rank.get(c.id, len(rank)), c.package))
    return tuple(out)
