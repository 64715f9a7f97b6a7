"""The renderer interface: one module per output format; renderers only render.

A renderer receives a :class:`ReportContext` (the decision plus what it needs to place
findings: the control catalog and the manifest path) and returns text. It never prints,
never decides, never exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from aigate.findings import Decision


@dataclass(frozen=True)
class ControlInfo:
    """A control of the catalog (built-in: from the Rego ``# METADATA``)."""

    id: str
    title: str
    level: int | None  # None for extensions
    stream: str | None  # "A" | "B"; None for extensions
    kind: str  # "aima" | "extension"
    description: str
    references: dict[str, list[str]] = field(default_factory=dict)
    package: str = ""
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "stream": self.stream,
            "kind": self.kind,
            "description": self.description,
            "references": self.references,
            "package": self.package,
            "file": self.file,
        }


@dataclass(frozen=True)
class BundleInfo:
    path: str
    digest: str  # "sha256:<hex>" of index.json


@dataclass(frozen=True)
class ReportContext:
    decision: Decision
    controls: tuple[ControlInfo, ...]
    manifest_path: str  # as given relative to the working directory, for file locations
    project_root: str
    tool_version: str
    bundle: BundleInfo | None = None
    notes: tuple[str, ...] = ()  # run notes: unsafe flags used, collectors skipped, ...

    def control(self, control_id: str) -> ControlInfo | None:
        for c in self.controls:
            if c.id == control_id:
                return c
        return None


class Renderer(Protocol):
    def __call__(self, ctx: ReportContext) -> str: ...
