"""The error hierarchy.

Findings are data; failures are exceptions. Every failure the user can see is an
:class:`AigateError`: its message is one line that names the file and position when
there is one, and says what to do next. The CLI catches ``AigateError`` once and maps
it to an exit code; anything else is a bug and exits 3 (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_PASS = 0
EXIT_DENIED = 1
EXIT_INPUT = 2
EXIT_FAILED = 3


@dataclass(frozen=True)
class Position:
    """A place in a file: 1-based line and column; either may be unknown."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out


class AigateError(Exception):
    """Base class: something stopped aigate from producing a decision."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, position: Position | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint

    def one_line(self) -> str:
        """The user-facing line: ``file:line:col: message (hint)``; never multi-line."""
        text = self.message
        if self.position is not None:
            text = f"{self.position}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


class InputError(AigateError):
    """Input the user must fix: bad flag, invalid manifest, policy that does not compile (exit 2)."""

    exit_code = EXIT_INPUT


class UsageError(InputError):
    """A bad combination of flags or arguments (exit 2)."""


class GateFailure(AigateError):
    """The gate could not finish: engine failure, unreachable server, I/O error (exit 3)."""

    exit_code = EXIT_FAILED


class EngineError(GateFailure):
    """The policy engine failed while evaluating (not a policy compile error)."""


class CollectorError(GateFailure):
    """A collector could not gather its evidence; the gate cannot pass without it."""


class SigningError(GateFailure):
    """Signing failed (missing identity token, signing service, unreadable key)."""


class VerificationFailure(AigateError):
    """A bundle, signature or chain did not verify (exit 1)."""

    exit_code = EXIT_DENIED


def file_position(path: str | Path, line: int | None = None, column: int | None = None) -> Position:
    return Position(str(path), line, column)
