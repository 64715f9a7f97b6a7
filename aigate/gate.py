"""The gate: config → collectors → input document → engine → decision.

This module orchestrates; it never prints and never exits. Every failure is an ``AigateError``
raised to the CLI, and the decision is data (:class:`aigate.findings.Decision`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate import __version__
from aigate.collect import COLLECTORS, FAST_PATH, INDEPENDENT, load_collectors
from aigate.collect.interface import CollectContext, Evidence
from aigate.errors import AigateError, InputError, Position, UsageError
from aigate.findings import Decision, Finding, summarize
from aigate.manifest import Manifest, load_manifest
from aigate.policy.evaluate import (
    NamespaceSelection,
    apply_waivers,
    evaluate_controls,
    evaluate_user,
    mark_blocking,
    maturity,
    select_namespaces,
)
from aigate.policy.interface import Engine, PolicyModule
from aigate.policy.library import (
    CONTROLS_PACKAGE,
    PolicySet,
    builtin_set,
    control_catalog,
    has_bundles,
    user_set,
)
from aigate.policydata import (
    PolicyData,
    check_waiver_targets,
    enforce_guards,
    guard_findings,
    known_controls,
    source_findings,
    waiver_findings,
)
from aigate.report.interface import ReportContext
from aigate.yamlload import Document, Limits, load_file

INPUT_VERSION = "1"
USER_INPUT_LIMITS = Limits(max_bytes=32 * 1024 * 1024)


@dataclass(frozen=True)
class CheckConfig:
    root: Path = Path(".")
    manifest: str | None = None
    policy_dirs: tuple[str, ...] = ()
    data_files: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    parser: str | None = None  # --parser: one input parser for every --input (default: by file name)
    combine: bool = False  # --combine: every input document as one array input, conftest's shape
    policy_manifest: bool = False  # --policy-manifest: user policies also evaluate the manifest
    user_data: tuple[str, ...] = ()  # --user-data: plain documents merged under data. for user policies
    namespaces: tuple[str, ...] = ()
    all_namespaces: bool = False
    fail_on_warn: bool = False
    engine: str = "embedded"  # embedded (OPA Go where installed, else regopy) | opa-go | regopy | opa
    cross_check: bool | None = None  # both embedded engines; None: on in CI when both are installed
    opa_url: str | None = None
    opa_token: str | None = None
    opa_ca: str | None = None  # CA bundle for an https OPA server (verification is always on)
    opa_timeout: float = 30.0  # total deadline per request to the OPA server
    opa_preloaded: bool = False  # query aigate's library already loaded on the server as a bundle
    policy_bundle_key: str | None = None  # public key (or HMAC secret file) OPA bundles must be signed with
    dry_run: bool = False
    fast: bool = False
    bundle_dir: str | None = None
    python: str | None = None
    sign: str = "none"
    previous: str | None = None
    bundles: str | None = None
    since: str | None = None
    release_tags: str | None = None  # glob naming release tags (range start); default: any non-aigate tag
    verify_key: str | None = None  # public key the earlier bundles must be signed with
    identity: str | None = None  # keyless: the signer identity earlier bundles must carry
    issuer: str | None = None
    repository: str | None = None
    trusted_root: str | None = None
    tarball: bool = False
    today: dt.date | None = None  # internal, for tests of waiver expiry; defaults to the wall clock
    collectors: tuple[str, ...] = COLLECTORS


@dataclass(frozen=True)
class CheckResult:
    decision: Decision
    report: ReportContext
    input_doc: dict[str, Any]
    evidence: dict[str, Evidence] = field(default_factory=dict)
    manifest: Manifest | None = None
    policy_set_digest: str = ""
    policy_data: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


ENGINES = ("embedded", "opa-go", "regopy", "opa")


def engine_name(config: CheckConfig) -> str:
    """The engine that judges: ``embedded`` is OPA's Go engine where its wheel loads, else regopy."""
    if config.engine == "embedded":
        from aigate.policy import opago

        return "opa-go" if opago.available() else "regopy"
    return config.engine


def in_ci(env: dict[str, str] | None = None) -> bool:
    """``CI`` set to a truthy value, as GitHub Actions (``true``) and GitLab CI (``true``) set it."""
    value = (os.environ if env is None else env).get("CI", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def cross_check_enabled(config: CheckConfig) -> bool:
    """Whether both embedded engines judge: the flag, else on in CI when both are installed.

    An explicit ``--cross-check`` without OPA's Go engine is a usage error (it could not be
    honoured); the automatic default quietly stays off where only one engine exists.
    """
    from aigate.policy import opago

    if config.cross_check is False or config.engine == "opa":
        if config.cross_check and config.engine == "opa":
            raise UsageError(
                "--cross-check compares the two embedded engines; it does not apply to --engine opa"
            )
        return False
    if config.cross_check:
        if not opago.available():
            raise UsageError(
                "--cross-check needs OPA's Go engine",
                hint="pip install --ignore-requires-python opa-golib-python-bindings==0.4.4",
            )
        return True
    return in_ci() and opago.available()


def judged_by(config: CheckConfig) -> str:
    """The engine whose answer the decision carries (under the cross-check: OPA's Go engine)."""
    return "opa-go" if cross_check_enabled(config) else engine_name(config)


def make_engine(config: CheckConfig) -> Engine:
    name = engine_name(config)
    if name not in ENGINES:
        raise UsageError(f"unknown engine {config.engine!r}; choose {', '.join(ENGINES)}")
    if cross_check_enabled(config):
        from aigate.policy.crosscheck import CrossCheckEngine
        from aigate.policy.embedded import EmbeddedEngine
        from aigate.policy.opago import OpaGoEngine

        return CrossCheckEngine(OpaGoEngine(), EmbeddedEngine())
    if name == "opa-go":
        from aigate.policy import opago

        if not opago.available():
            raise UsageError(
                "--engine opa-go needs OPA's Go engine wheel",
                hint="pip install --ignore-requires-python opa-golib-python-bindings==0.4.4",
            )
        return opago.OpaGoEngine()
    if name == "regopy":
        from aigate.policy.embedded import EmbeddedEngine

        return EmbeddedEngine()
    if config.engine == "opa":
        if not config.opa_url:
            raise UsageError("--engine opa needs --opa-url URL (or AIGATE_OPA_URL)")
        from aigate.policy.opa import OpaEngine

        return OpaEngine(
            config.opa_url,
            token=config.opa_token,
            ca_file=config.opa_ca,
            timeout=config.opa_timeout,
            preloaded=config.opa_preloaded,
        )
    raise UsageError(f"unknown engine {config.engine!r}; choose {', '.join(ENGINES)}")


def evidence_time(git: dict[str, Any] | None) -> int:
    """Seconds since the epoch that stamp this run's evidence: SOURCE_DATE_EPOCH, else the commit time.

    Never the wall clock when either exists, so identical inputs give identical bundles.
    """
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        if not sde.isdigit():
            raise InputError(f"SOURCE_DATE_EPOCH must be an integer, got {sde!r}")
        return int(sde)
    if git and isinstance(git.get("commit_time"), int):
        return int(git["commit_time"])
    return int(time.time())


def load_user_documents(
    paths: tuple[str, ...], parser: str | None = None, combine: bool = False
) -> list[Document]:
    """The ``--input`` documents, each parsed by its format's parser (aigate.inputs), conftest style."""
    if not paths:
        return []
    from aigate.inputs import combine as combine_files
    from aigate.inputs import load_inputs

    files = load_inputs(paths, parser)
    if combine:
        return [combine_files(files)] if files else []
    return [d for f in files for d in f.documents]


def load_user_data(paths: tuple[str, ...]) -> dict[str, Any]:
    """conftest's ``--data``: plain YAML/JSON documents merged under ``data.`` (a directory's files
    under their sub-directory path, as OPA's loader does); ``data.aigate`` is the library's."""
    merged: dict[str, Any] = {}
    for name in paths:
        root = Path(name)
        files = (
            sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            if root.is_dir()
            else [root]
        )
        for file in files:
            prefix = list(file.parent.relative_to(root).parts) if root.is_dir() else []
            for doc in load_file(file, limits=USER_INPUT_LIMITS, what="user data file", display=str(file)):
                if doc.data is None:
                    continue
                value: Any = doc.data
                for part in reversed(prefix):
                    value = {part: value}
                if not isinstance(value, dict):
                    raise InputError("user data must be a mapping", position=Position(str(file)))
                if "aigate" in value:
                    raise InputError(
                        "user data may not define data.aigate (the built-in library's)",
                        position=Position(str(file)),
                    )
                _merge_data(merged, value, str(file))
    return merged


def _merge_data(into: dict[str, Any], value: dict[str, Any], file: str) -> None:
    for key, val in value.items():
        if isinstance(into.get(key), dict) and isinstance(val, dict):
            _merge_data(into[key], val, file)
        elif key in into and into[key] != val:
            raise InputError(
                f"user data key {key!r} is defined twice with different values", position=Position(file)
            )
        else:
            into[key] = val


def _rule_heads(user: PolicySet, namespaces: list[str]) -> dict[str, list[str]]:
    """Every deny/warn/violation rule definition per package (conftest counts definitions)."""
    heads: dict[str, list[str]] = {ns: [] for ns in namespaces}
    for module in user.modules:
        if module.package in heads:
            text = re.sub(r"#[^\n]*", "", module.source)
            heads[module.package].extend(m.group(0) for m in _RULE_HEAD.finditer(text))
    return heads


def _check_user_packages(policies: PolicySet) -> None:
    """``module.package`` is read from the parsed ``package`` statement (aigate.policy.regolint)."""
    from aigate.policy.regolint import parse_package, tokenize

    for module in policies.modules + policies.tests:
        if module.package == "aigate" or module.package.startswith("aigate."):
            stmt = parse_package(tokenize(module.source, module.name), module.name)[1]
            raise InputError(
                f"user policies may not declare package {module.package!r}: the 'aigate' namespace is reserved "
                "for the built-in library",
                position=Position(module.name, stmt.line, stmt.col),
            )


_RULE_HEAD = re.compile(r"^(deny|violation|warn)(_[A-Za-z0-9_]*)?\b", re.MULTILINE)


def precheck_user_policies(user: PolicySet, namespaces: list[str], engine: str) -> None:
    """Fail fast, before any evidence is collected, on user policies that cannot be evaluated.

    The selected namespaces must declare at least one deny/violation/warn rule (an empty policy
    set is not a pass), and with the embedded engine the user modules must compile.
    """
    selected = [m for m in user.modules if m.package in namespaces]
    if not any(_RULE_HEAD.search(m.source) for m in selected):
        raise InputError(
            f"the user policies define no deny/violation/warn rules in {', '.join(namespaces)}",
            hint="an empty policy set is not a pass",
        )
    if engine == "opa-go":  # compile only: a probe query on an empty input could raise (strict errors)
        from aigate.policy.opago import OpaGoEngine

        go = OpaGoEngine()
        try:
            go.compile(list(user.modules), {})
        finally:
            go.close()
        return
    if engine in ("embedded", "regopy"):  # the name of the engine that will judge
        from aigate.policy.embedded import EmbeddedEngine
        from aigate.policy.regolint import lint_for_regopy

        lint_for_regopy(list(user.modules))  # what regopy mis-evaluates is refused, exit 2
        probe = EmbeddedEngine()
        probe.compile(list(user.modules), {})
        for ns in namespaces:
            probe.query(ns, {})


def collect(
    ctx: CollectContext, names: tuple[str, ...], prior: dict[str, Evidence] | None = None
) -> dict[str, Evidence]:
    """Run collectors in order; each sees the data collected before it in ``ctx.options["evidence"]``.

    Collectors skip themselves on the fast path (``ctx.fast``) and say so in ``Evidence.skipped``.
    """
    evidence: dict[str, Evidence] = dict(prior or {})
    if ctx.fast:
        for name in names:
            if name not in FAST_PATH:
                evidence[name] = Evidence(name, None, skipped="fast path (--fast): not collected")
        names = tuple(n for n in names if n in FAST_PATH)
    collectors = load_collectors(names)
    if len(collectors) > 1 and all(name in INDEPENDENT for name in names):
        return {**evidence, **_collect_concurrently(ctx, collectors, evidence)}
    for collector in collectors:
        module_name = type(collector).__module__.rsplit(".", 1)[-1]
        ctx.options["evidence"] = {ev.key: ev.data for ev in evidence.values()}
        evidence[module_name] = collector.collect(ctx)
    return evidence


def _independent_first(names: tuple[str, ...]) -> tuple[str, ...]:
    """``git`` (always first: it gives the evidence time), then the collectors that need
    nothing collected before them, stopping at the first that does."""
    head = ["git"] if "git" in names else []
    for name in names:
        if name == "git":
            continue
        if name not in INDEPENDENT:
            break
        head.append(name)
    return tuple(head)


def _collect_concurrently(
    ctx: CollectContext, collectors: list[Any], prior: dict[str, Evidence]
) -> dict[str, Evidence]:
    """Independent collectors on threads; results (and the first error) in their given order."""
    from concurrent.futures import ThreadPoolExecutor

    ctx.options["evidence"] = {ev.key: ev.data for ev in prior.values()}
    with ThreadPoolExecutor(max_workers=len(collectors), thread_name_prefix="aigate-collect") as pool:
        futures = [(type(c).__module__.rsplit(".", 1)[-1], pool.submit(c.collect, ctx)) for c in collectors]
    return {name: future.result() for name, future in futures}


def signing_kind(config: CheckConfig) -> str:
    """What this run will sign with: a dry run never signs; ``--sign`` is validated here (exit 2)."""
    from aigate.sign import SigningMode

    mode = SigningMode.parse(config.sign)
    return "none" if config.dry_run else mode.kind


def build_input(
    config: CheckConfig,
    manifest: Manifest,
    evidence: dict[str, Evidence],
    policy_digest: str,
    now_epoch: int,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "aigate": {
            "version": INPUT_VERSION,
            "tool_version": __version__,
            "mode": "dry-run" if config.dry_run else "record",
            "fast": config.fast,
            "policy_digest": policy_digest,
            "engine": judged_by(config),
            "cross_check": cross_check_enabled(config),
            "now_epoch": now_epoch,
            "manifest_digest": "sha256:" + manifest.digest,
            "signing": signing_kind(config),
        },
        "manifest": manifest.data,
        "files": {},
        "environment": None,
        "dependencies": None,
        "sbom": None,
        "artifacts": None,
        "signoffs": None,
        "git": None,
        "history": None,
        "reports": None,
        "ci": None,
    }
    for ev in evidence.values():
        if ev.data is None:
            continue
        current = doc.get(ev.key)
        if isinstance(current, dict) and isinstance(ev.data, dict):
            doc[ev.key] = {**current, **ev.data}
        else:
            doc[ev.key] = ev.data
    return doc


class _BackgroundCompile:
    """Compile the policy set and prepare the controls query on a thread while evidence is collected.

    Only for engines that release the GIL while compiling (OPA's Go engine): the pre-commit path
    then pays for compilation and collection (mostly waiting on git and promtool) at once, not
    one after the other. An error is raised where the compile used to run (:meth:`wait`, after
    collection), so the order in which a run reports its problems is unchanged.
    """

    def __init__(self, engine: Engine, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        import threading

        self._engine, self._modules, self._data = engine, modules, data
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="aigate-compile", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._engine.compile(self._modules, self._data)
            self._engine.prepare(CONTROLS_PACKAGE)
        except BaseException as exc:  # re-raised on the caller's thread by wait()
            self._error = exc

    def wait(self) -> None:
        self.thread.join()
        if self._error is not None:
            raise self._error


@contextlib.contextmanager
def _engine_session(
    config: CheckConfig, modules: list[PolicyModule], data: dict[str, Any]
) -> Iterator[tuple[Engine, Callable[[], None]]]:
    """The judging engine and ``ready()``, which returns once the policy set is compiled."""
    engine = make_engine(config)
    background = _BackgroundCompile(engine, modules, data) if engine.background_compile else None
    try:
        yield engine, (background.wait if background else lambda: engine.compile(modules, data))
    finally:
        if background is not None:
            background.thread.join()  # never close an engine a compile is still using
        engine.close()


@dataclass
class _PolicyPlan:
    """What the run judges with, read before the manifest (:func:`_read_policies`)."""

    builtin: PolicySet
    catalog: Any
    user: PolicySet | None
    namespaces: list[str]
    user_docs: list[Document]
    user_data: dict[str, Any]
    base: dict[str, Any]
    policy_data: PolicyData  # read, not validated until :meth:`validate`
    history_options: dict[str, Any]
    #: the user set needs verifying with a key the policy data may name (OPA bundles)
    has_bundles: bool = False

    @property
    def modules(self) -> list[PolicyModule]:
        return list(self.builtin.modules) + (list(self.user.modules) if self.user else [])

    @property
    def engine_data(self) -> dict[str, Any]:
        user = self.user.data if self.user else {}
        return {**user, **self.user_data, "aigate": {"config": self.policy_data.data}}

    def validate(self, config: CheckConfig, root: Path) -> None:
        """The policy data against its schema, then what reads it (bundle keys, waiver targets)."""
        from aigate.policydata import validate_policy_data

        validate_policy_data(self.policy_data)
        if self.user is not None and self.has_bundles:  # the flag's key and the key the policy data names
            from aigate.policy.library import verify_bundles

            self.user = verify_bundles(
                self.user,
                config.policy_dirs,
                config.policy_bundle_key,
                self.policy_data.data,
                root,
                self.base["anchor"],
            )
        check_waiver_targets(self.policy_data, known_controls(self.catalog, self.builtin.modules))


def _read_policies(config: CheckConfig, root: Path) -> _PolicyPlan:
    """The policy set, the user's inputs and data, and the policy data as read (not validated).

    None of it depends on the manifest or needs jsonschema, so the policy set can start
    compiling before either is loaded."""
    from aigate.policydata import read_policy_data

    builtin = builtin_set()
    catalog = control_catalog(builtin)
    # OPA bundles are verified once the policy data (which may name their key) is read
    user = user_set(config.policy_dirs, defer_verification=True) if config.policy_dirs else None
    if user is not None:
        _check_user_packages(user)
    if (config.namespaces or config.all_namespaces) and user is None:
        raise UsageError("--namespace/--all-namespaces select user policies; pass --policy DIR")
    user_docs = load_user_documents(config.inputs, config.parser, config.combine)
    user_data = load_user_data(config.user_data)
    if config.inputs and user is None:
        raise UsageError("--input documents are evaluated by user policies; pass --policy DIR")
    namespaces: list[str] = []
    if user is not None:  # before collecting: a wrong namespace is the user's to fix, fast
        selection = NamespaceSelection(
            patterns=config.namespaces or ("main",),
            all_namespaces=config.all_namespaces,
        )
        namespaces = select_namespaces(user, selection)
        precheck_user_policies(
            user, namespaces, "regopy" if cross_check_enabled(config) else engine_name(config)
        )
    # after the user's policies: a policy the user must fix is reported before git is consulted
    history_options = _history_options(config)
    if config.fast:  # the pre-commit path verifies no history (nor imports the bundle verifier)
        base: dict[str, Any] = {"commit": None, "basis": "none", "anchor": None}
    else:
        from aigate.collect.history import release_base

        base = release_base(history_options, root, config.since)
    return _PolicyPlan(
        builtin=builtin,
        catalog=catalog,
        user=user,
        namespaces=namespaces,
        user_docs=user_docs,
        user_data=user_data,
        base=base,
        policy_data=read_policy_data(config.data_files, root=root, base=base["anchor"]),
        history_options=history_options,
        has_bundles=user is not None and has_bundles(config.policy_dirs),
    )


def run_check(config: CheckConfig) -> CheckResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    root = config.root.resolve()
    if not root.is_dir():
        raise InputError(f"project directory {config.root} does not exist")
    signing_kind(config)  # a bad --sign is a usage error before any work
    with contextlib.ExitStack() as stack:
        # The policy set is read first and, unless OPA bundles still need verifying with a key
        # the policy data names, starts compiling now: OPA's Go engine compiles on a thread
        # while jsonschema loads and the manifest and policy data are validated. Its errors are
        # raised after the manifest's own, so a bad manifest is still the first thing reported.
        plan: _PolicyPlan | None = None
        deferred: AigateError | None = None
        session: tuple[Engine, Callable[[], None]] | None = None
        try:
            plan = _read_policies(config, root)
            if not plan.has_bundles:
                session = stack.enter_context(_engine_session(config, plan.modules, plan.engine_data))
        except AigateError as exc:
            deferred = exc
        manifest = load_manifest(root, config.manifest)
        if deferred is not None:
            raise deferred
        assert plan is not None
        plan.validate(config, root)
        if session is None:
            session = stack.enter_context(_engine_session(config, plan.modules, plan.engine_data))
        engine, ready = session
        builtin, catalog, user, namespaces = plan.builtin, plan.catalog, plan.user, plan.namespaces
        user_docs, policy_data, base, history_options = (
            plan.user_docs,
            plan.policy_data,
            plan.base,
            plan.history_options,
        )
        policy_digest = _policy_digest(builtin, user)
        timings["load"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        ctx = CollectContext(
            root=root,
            manifest=manifest.data,
            manifest_path=manifest.path,
            manifest_digest=manifest.digest,
            manifest_display=manifest.display,
            policy_data=policy_data.data,
            dry_run=config.dry_run,
            fast=config.fast,
            python=config.python,
            options={
                "manifest_paths": manifest.paths,
                "since": config.since,
                "range_base": base["commit"],
                "range_basis": base["basis"],
                **history_options,
                # license and NOTICE texts go into the bundle for auditors (not needed to decide)
                "license_texts": bool(config.bundle_dir) or not config.dry_run,
                "signoffs": {
                    "base": base["commit"] or "root",
                    "basis": base["basis"],
                    "policy_paths": [*config.data_files, *config.policy_dirs],
                    "key_paths": _policy_key_files(policy_data.data, root),
                },
            },
        )
        # the independent collectors (git, files, ci, reports) together, git first in the
        # evidence's order; then the rest, which may read them and the evidence time git gives
        first = _independent_first(config.collectors)
        evidence = collect(ctx, first)
        now_epoch = evidence_time(evidence["git"].data if "git" in evidence else None)
        ctx.options["timestamp"] = now_epoch
        evidence = collect(ctx, tuple(n for n in config.collectors if n not in first), evidence)
        timings["collect"] = time.perf_counter() - t1

        input_doc = build_input(config, manifest, evidence, policy_digest, now_epoch)

        t2 = time.perf_counter()
        ready()  # the policy set compiled (on the background thread, or here)
        findings = evaluate_controls(engine, input_doc, catalog, manifest.document)
        user_findings: list[Finding] = []
        prints: list[str] = []  # print() output of user policies (OPA Go engine), shown as conftest's PRNT
        if user is not None:
            # the manifest is a user-policy input when asked (--policy-manifest) or when no --input is given
            offered = [manifest.document] if config.policy_manifest or not config.inputs else []
            printed = len(getattr(engine, "prints", []))
            user_findings, rules = evaluate_user(
                engine, namespaces, [*offered, *user_docs], _rule_heads(user, namespaces)
            )
            prints = [f"{loc}: {msg}" for loc, msg in getattr(engine, "prints", [])[printed:]]
            if rules == 0:
                raise InputError(
                    f"the user policies define no deny/violation/warn rules in {', '.join(namespaces)}",
                    hint="an empty policy set is not a pass",
                )
        timings["evaluate"] = time.perf_counter() - t2

    decision = decide(config, findings, user_findings, catalog, policy_data, now_epoch)
    if prints:
        decision.meta["prints"] = prints
    # evidence summaries the reports render (report.md lists sign-offs and artifacts for auditors)
    for key in ("signoffs", "artifacts"):
        if input_doc.get(key) is not None:
            decision.meta[key] = input_doc[key]
    report = ReportContext(
        decision=decision,
        controls=catalog,
        manifest_path=manifest.display,
        project_root=str(config.root),
        tool_version=__version__,
        bundle=None,
        notes=tuple(f"{name}: {ev.skipped}" for name, ev in evidence.items() if ev.skipped),
    )
    timings["total"] = time.perf_counter() - t0
    return CheckResult(
        decision, report, input_doc, evidence, manifest, policy_digest, policy_data.data, timings
    )


def _policy_key_files(policy: dict[str, Any], root: Path) -> list[str]:
    """Key files the policy data names (the OPA bundle key): watched like the policy data."""
    if not policy.get("policy_bundles"):  # the common case: no bundle module imported
        return []
    from aigate.policy.opabundle import policy_data_key_file

    key = policy_data_key_file(policy, root)
    return [str(key)] if key is not None else []


def _history_options(config: CheckConfig) -> dict[str, Any]:
    """The flags that say where the previous releases are and who must have signed them."""
    return {
        "previous": config.previous,
        "bundles": config.bundles,
        "sign": config.sign,
        "verify_key": config.verify_key,
        "identity": config.identity,
        "issuer": config.issuer,
        "repository": config.repository,
        "trusted_root": config.trusted_root,
    }


def _policy_digest(builtin: PolicySet, user: PolicySet | None) -> str:
    if user is None:
        return builtin.digest
    return PolicySet(builtin.modules + user.modules, data_files=user.data_files).digest


def decide(
    config: CheckConfig,
    control_findings: list[Finding],
    user_findings: list[Finding],
    catalog: Any,
    policy_data: PolicyData,
    now_epoch: int,
) -> Decision:
    # expiry is judged by the wall clock of this run, never the evidence (commit) time the
    # release's author can set; the decision records when (docs/security.md)
    judged_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = config.today or judged_at.date()
    active, broken = waiver_findings(policy_data, today)
    required = policy_data.required_levels
    guards, rest = guard_findings(control_findings)  # never waived, never advisory
    findings = apply_waivers(rest, active) + broken + source_findings(policy_data)
    findings = enforce_guards(mark_blocking(guards + findings, catalog, required))
    levels = maturity(findings, catalog, required)
    all_findings = tuple(findings + user_findings)
    return Decision(
        findings=all_findings,
        maturity=levels,
        summary=summarize(all_findings),
        fail_on_warn=config.fail_on_warn,
        dry_run=config.dry_run,
        meta={
            "engine": judged_by(config),
            "cross_check": cross_check_enabled(config),
            "waivers": active,
            "required_levels": required,
            "policy_data_source": policy_data.source,
            "policy_data_sources": [
                {"file": d.file, "source": d.source, "sha256": d.sha256, "revision": d.revision}
                for d in policy_data.sources[1:]
            ],
            # the day expiry was judged on (waivers expire by date); a day, not a second, so that
            # the same inputs on the same day still give a byte-identical bundle
            "judged_at": today.isoformat(),
            "evidence_time": dt.datetime.fromtimestamp(now_epoch, tz=dt.timezone.utc)
            .isoformat()
            .replace("+00:00", "Z"),
        },
    )
