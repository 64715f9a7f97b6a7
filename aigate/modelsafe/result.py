"""What scanning one file (or one archive member) found, as plain data.

Every string that leaves a scanner goes through :func:`plain`: names and messages come from
hostile bytes, and a backslash, quote or control character in evidence once broke the policy
engine ("policy does not compile: Invalid escape sequence"). Evidence is data, so it is made
inert: printable text only, bounded length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: statuses, worst first: a file's or artifact's status is the worst of its parts.
#: ``imports``: the file imports callables and the policy judges them against the allowlist.
STATUS_ORDER = ("unsafe", "error", "imports", "unknown", "safe")


def plain(text: str, limit: int = 300) -> str:
    """Printable text without backslashes or double quotes; others become ``<U+XXXX>``."""
    out = []
    for ch in text[:limit]:
        if ch.isprintable() and ch not in '\\"':
            out.append(ch)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    s = "".join(out)
    return s + "..." if len(text) > limit else s


def worst(statuses: list[str]) -> str:
    """The worst status of several (``safe`` for none: an empty directory holds no code)."""
    for s in STATUS_ORDER:
        if s in statuses:
            return s
    return "safe"


@dataclass
class Scan:
    """The facts about one file or member: its format, what it imports, what is wrong with it."""

    format: str
    scanner: str
    imports: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown: bool = False

    @property
    def status(self) -> str:
        if self.problems:
            return "unsafe"
        if self.errors:
            return "error"
        if self.imports:
            return "imports"
        if self.unknown:
            return "unknown"
        return "safe"

    def problem(self, member: str, offset: int | None, message: str) -> None:
        """Something that can execute code whatever the allowlist says."""
        self.problems.append({"member": plain(member), "offset": offset, "message": plain(message)})

    def error(self, member: str, offset: int | None, message: str) -> None:
        """A file that could not be classified or parsed: never a pass."""
        self.errors.append({"member": plain(member), "offset": offset, "message": plain(message)})

    def absorb(self, other: Scan) -> None:
        """Add a member's or nested object's facts to its container's."""
        self.imports.extend(other.imports)
        self.problems.extend(other.problems)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
