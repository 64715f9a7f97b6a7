"""Evidence collectors, one module per evidence kind (see ``interface.py``).

``COLLECTORS`` is the run order; each module holds one :class:`Collector` subclass. Adding an
evidence kind is one module plus one line here.
"""

from __future__ import annotations

import importlib
import inspect

from aigate.collect.interface import Collector

COLLECTORS: tuple[str, ...] = (
    "files",
    "git",
    "ci",
    "reports",
    "environment",
    "lock",
    "licenses",
    "artifacts",
    "sbom",
    "signoffs",
    "history",
)


#: the pre-commit path (``--fast``) runs only these; the others skip without even being imported
#: (their imports — cyclonedx, gitpython, sigstore — cost more than the whole fast check)
FAST_PATH: frozenset[str] = frozenset({"files", "git", "ci", "reports"})

#: collectors that read nothing another collector produces (``ctx.options["evidence"]``, the
#: evidence time): they run together on threads, since they mostly wait on git, promtool and
#: the disk. A collector that reads other evidence must not be listed here.
INDEPENDENT: frozenset[str] = frozenset({"files", "git", "ci", "reports"})


def load_collectors(names: tuple[str, ...] = COLLECTORS) -> list[Collector]:
    out: list[Collector] = []
    for name in names:
        module = importlib.import_module(f"aigate.collect.{name}")
        classes = [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Collector)
            and obj is not Collector
            and obj.__module__ == module.__name__
            and not inspect.isabstract(obj)
        ]
        if len(classes) != 1:
            raise RuntimeError(
                f"aigate.collect.{name} must define exactly one Collector, found {len(classes)}"
            )
        out.append(classes[0]())
    return out
