"""The policy-engine interface: compile a set of Rego modules with data, then query paths.

Implementations: :mod:`aigate.policy.opago` (OPA's Go engine in-process, the default where its
wheel is installed), :mod:`aigate.policy.embedded` (regopy, everywhere else),
:mod:`aigate.policy.opa` (a central OPA server over its REST API), and
:mod:`aigate.policy.crosscheck` (both embedded engines, failing on any difference). All receive
the same modules and data; OPA's semantics are the reference.
"""

from __future__ import annotations

import abc
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aigate.errors import EngineError, InputError, Position

T = TypeVar("T")


@dataclass(frozen=True)
class PolicyModule:
    """One Rego file: ``name`` is how errors name it (project-relative or ``builtin:...``)."""

    name: str
    source: str
    builtin: bool = False
    package: str = ""


class Engine(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        """Load and compile; raise InputError (policy does not compile) or GateFailure."""

    @abc.abstractmethod
    def query(self, path: str, input_doc: Any) -> Any:
        """The value of ``data.<path>`` for ``input_doc``; ``None`` when undefined.

        Raises EngineError (exit 3) when evaluation fails: a failed evaluation is never
        mistaken for an empty (passing) result.
        """

    #: ``compile`` and ``prepare`` may run on a background thread while evidence is collected
    #: (the engine releases the GIL while it compiles); the query still runs on the caller's.
    background_compile: bool = False

    def prepare(self, path: str) -> None:  # noqa: B027 - optional hook
        """Compile the query for ``data.<path>`` ahead of the real one; never changes a result."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (sessions, interpreters)."""


#: The evaluation deadline when policy data sets no ``limits.eval_seconds``.
DEFAULT_EVAL_SECONDS = 5.0

#: Builtins user policies may not call, on any engine: they reach the network. (The
#: environment, the other way out through ``opa.runtime()``, is emptied by each engine.)
FORBIDDEN_BUILTINS = ("http.send", "net.lookup_ip_addr")

_STRIP = re.compile(r'#[^\n]*|`[^`]*`|"(?:[^"\\\n]|\\.)*"')
_FORBIDDEN = re.compile(r"(?<![\w.])(http\s*\.\s*send|net\s*\.\s*lookup_ip_addr)\b")


def eval_seconds(data: dict[str, Any]) -> float:
    """The organisation's evaluation deadline (policy data ``limits.eval_seconds``).

    Read from the ``aigate.config`` subtree every engine receives, so the deadline comes from
    the same policy data as the thresholds, never from the release's manifest.
    """
    config = data.get("aigate", {}).get("config", {}) if isinstance(data.get("aigate"), dict) else {}
    limits = config.get("limits") if isinstance(config, dict) else None
    value = limits.get("eval_seconds") if isinstance(limits, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_EVAL_SECONDS


def _blank(match: re.Match[str]) -> str:
    """Keep offsets: a comment or string becomes spaces (newlines kept)."""
    return "".join(c if c == "\n" else " " for c in match.group(0))


def refuse_forbidden_builtins(module: PolicyModule) -> None:
    """Refuse a user module that calls a network builtin: exit 2 at ``file:line:col``.

    A lexical check over the source with comments and strings blanked out, so a builtin name
    inside a string or comment is not a call, and a call is found wherever it sits. Engines
    with a parser add a check on the parsed module for spellings a scan cannot see.
    """
    if module.builtin:
        return
    m = _FORBIDDEN.search(_STRIP.sub(_blank, module.source))
    if m:
        before = module.source[: m.start()]
        line = before.count("\n") + 1
        col = m.start() - (before.rfind("\n") + 1) + 1
        name = re.sub(r"\s+", "", m.group(1))
        raise forbidden_builtin_error(name, Position(module.name, line, col))


def forbidden_builtin_error(name: str, position: Position) -> InputError:
    return InputError(
        f"policy calls {name}, which user policies may not use (no network access)",
        position=position,
        hint="compute the value before the gate and pass it with --input or --data",
    )


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``fn`` with a deadline; past it raise EngineError naming ``what`` (exit 3).

    Native evaluation cannot be interrupted, so it runs on a daemon thread that is abandoned
    on timeout: the gate fails closed at once, and the process exits soon after.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised on the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="aigate-eval", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise EngineError(
            f"evaluating {what} took longer than {seconds:g} s",
            hint="raise limits.eval_seconds in policy data, or simplify the policy",
        )
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
