"""``aigate init``: scaffold a manifest, policy data and CI snippets into a project.

The scaffold is validated against the shipped schemas before anything is written, existing files
are never overwritten without ``force``, and every file is written atomically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aigate.atomic import write_atomic
from aigate.errors import InputError
from aigate.yamlload import load_yaml_documents

MODEL_SUFFIXES = (
    ".safetensors",
    ".onnx",
    ".gguf",
    ".pt",
    ".pth",
    ".bin",
    ".pkl",
    ".joblib",
    ".npy",
    ".h5",
    ".keras",
)
FORMAT_BY_SUFFIX = {
    ".safetensors": "safetensors",
    ".onnx": "onnx",
    ".gguf": "gguf",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".bin": "pytorch",
    ".pkl": "pickle",
    ".joblib": "joblib",
    ".npy": "numpy",
}


@dataclass(frozen=True)
class ScaffoldFile:
    path: str  # project-relative
    text: str


def _template(name: str) -> str:
    return resources.files("aigate.data").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return slug or "model"


def find_model(root: Path) -> str | None:
    candidates = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in MODEL_SUFFIXES
        and ".git" not in p.parts
        and ".venv" not in p.parts
    )
    return candidates[0] if candidates else None


def plan(root: Path, *, name: str | None, version: str, model: str | None) -> list[ScaffoldFile]:
    name = _slug(name or root.resolve().name)
    model_path = model or find_model(root) or "model/model.safetensors"
    fmt = FORMAT_BY_SUFFIX.get(Path(model_path).suffix.lower(), "other")
    values = {"NAME": name, "VERSION": version, "MODEL_PATH": model_path, "FORMAT": fmt}
    files = []
    for template, target in (
        ("aigate.yaml", "aigate.yaml"),
        ("policy-data.yaml", ".aigate/policy-data.yaml"),
        ("github-workflow.yml", ".aigate/ci/github-workflow.yml"),
        ("gitlab-ci.yml", ".aigate/ci/gitlab-ci.yml"),
        ("pre-commit-config.yaml", ".aigate/ci/pre-commit-config.yaml"),
    ):
        text = _template(template)
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        # the CI templates are the tested examples/ci files; point them at this project
        text = text.replace("project-dir: examples/fraud-detector", "project-dir: .")
        files.append(ScaffoldFile(target, text))
    return files


def validate_plan(files: list[ScaffoldFile]) -> None:
    """The scaffold must pass the same validation as a user's files (a bug here is exit 3)."""
    from aigate.schemas import validate_document

    for f in files:
        docs = load_yaml_documents(f.text.encode(), f.path)
        if f.path == "aigate.yaml":
            validate_document(docs[0], "manifest.schema.json", "manifest")
        elif f.path.endswith("policy-data.yaml"):
            validate_document(docs[0], "policy-data.schema.json", "policy data")


def write(root: Path, files: list[ScaffoldFile], *, force: bool) -> list[str]:
    existing = [f.path for f in files if (root / f.path).exists()]
    if existing and not force:
        raise InputError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} in {root}",
            hint="pass --force to overwrite",
        )
    for f in files:
        write_atomic(root / f.path, f.text)
    return [f.path for f in files]
