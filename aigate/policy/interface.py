"""The policy-engine interface: compile a set of Rego modules with data, then query paths.

Two implementations: :mod:`aigate.policy.embedded` (regopy, the default: no server, no binary)
and :mod:`aigate.policy.opa` (a central OPA server over its REST API). Both receive the same
modules and data, so a policy set evaluates identically wherever it runs.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any


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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (sessions, interpreters)."""
