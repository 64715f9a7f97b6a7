"""Corpus and policy fixtures for the MODELSAFE tests (built once per session, never loaded)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aigate.collect.artifacts import collect_artifacts
from aigate.policydata import default_data


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("modelsafe-corpus")


@pytest.fixture(scope="session")
def engine_for() -> Callable[[dict[str, Any]], Any]:
    """A compiled built-in library on the embedded engine, per policy data (cached)."""
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.library import builtin_set

    cache: dict[str, Any] = {}

    def get(data: dict[str, Any]) -> Any:
        key = repr(sorted(data.get("modelsafe", {}).items()))
        if key not in cache:
            engine = EmbeddedEngine()
            engine.compile(list(builtin_set().modules), {"aigate": {"config": data}})
            cache[key] = engine
        return cache[key]

    return get


def policy_data(sklearn: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(default_data().data)
    data["modelsafe"]["allow_sklearn"] = sklearn
    return data


@pytest.fixture(scope="session")
def judge(engine_for: Callable[[dict[str, Any]], Any]) -> Callable[..., tuple[list[dict[str, Any]], Any]]:
    """(the artifacts evidence, the MODELSAFE result) for one file inside a project."""

    def run(root: Path, rel: str, fmt: str, sklearn: bool = False) -> tuple[list[dict[str, Any]], Any]:
        manifest = {"model": {"name": "m", "version": "1", "format": fmt, "artifacts": [{"path": rel, "kind": "model"}]}}
        arts = collect_artifacts(root, manifest)
        result = engine_for(policy_data(sklearn)).query(
            "aigate.controls.modelsafe", {"manifest": manifest, "artifacts": arts}
        )
        return arts, result

    return run
