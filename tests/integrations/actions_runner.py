"""A small stand-in for the GitHub Actions runner that executes a composite ``action.yml``.

It does what the runner does for a composite action, as far as aigate's action uses it:

- evaluates ``${{ }}`` expressions over the ``inputs``, ``steps``, ``github``, ``runner`` and ``env``
  contexts, and ``if:`` conditions with ``success()``, ``failure()``, ``always()``, ``cancelled()``,
  ``==``, ``!=``, ``&&``, ``||``, ``!`` and parentheses (string comparison ignores case, as GitHub's);
- runs each ``run:`` step with ``bash --noprofile --norc -eo pipefail`` (the runner's ``shell: bash``)
  in ``GITHUB_WORKSPACE``, with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_ENV``,
  ``GITHUB_PATH``, ``RUNNER_TEMP``, ``GITHUB_ACTION_PATH`` ... as real files and variables, and
  reads the step's outputs back from its ``GITHUB_OUTPUT`` file (``k=v`` and ``k<<DELIM`` forms);
- stands in for the three third-party actions with local equivalents, each named in
  :data:`STAND_INS`: ``setup-python`` (the interpreter running the tests is used), ``upload-artifact``
  (copies the path into ``artifacts/<name>/``, failing when nothing matches, like
  ``if-no-files-found: error``) and ``codeql-action/upload-sarif`` (parses the file as SARIF 2.1.0
  and records it instead of sending it to GitHub).

It is test code: it trusts action.yml (no sandboxing) and supports only the expression forms above.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STAND_INS = {
    "actions/setup-python": "no-op: the test's own Python is on PATH",
    "actions/upload-artifact": "copy into artifacts/<name>/",
    "github/codeql-action/upload-sarif": "parse as SARIF 2.1.0 and record, no upload",
}

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\.\*)*))"
)


class ExpressionError(Exception):
    pass


class _Parser:
    def __init__(self, text: str, contexts: dict[str, Any], status: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ExpressionError(f"cannot parse {text[pos:]!r}")
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.contexts = contexts
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()}")
        return value

    def or_(self) -> Any:
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self) -> Any:
        left = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.cmp()
            left = right if truthy(left) else left
        return left

    def cmp(self) -> Any:
        left = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.unary()
            eq = _loose_eq(left, right)
            left = eq if op == "==" else not eq
        return left

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.atom()

    def atom(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind == "op" and text == "(":
            value = self.or_()
            if self.take() != ("op", ")"):
                raise ExpressionError("missing )")
            return value
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                if self.take() != ("op", ")"):
                    raise ExpressionError(f"{text}() takes no arguments here")
                return self.call(text)
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            value: Any = self.contexts
            for part in text.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return value
        raise ExpressionError(f"unexpected {text!r}")

    def call(self, name: str) -> bool:
        if name == "always":
            return True
        if name == "success":
            return self.status == "success"
        if name == "failure":
            return self.status == "failure"
        if name == "cancelled":
            return False
        raise ExpressionError(f"unknown function {name}()")


def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0, 0.0)


def _loose_eq(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if a is None or b is None:
        return a is b or (a in ("", None) and b in ("", None))
    return bool(a == b)


def evaluate(expr: str, contexts: dict[str, Any], status: str = "success") -> Any:
    return _Parser(expr, contexts, status).parse()


def interpolate(text: str, contexts: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = evaluate(m.group(1), contexts)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return re.sub(r"\$\{\{(.*?)\}\}", sub, text)


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file as the runner does (``k=v`` lines and ``k<<DELIM`` blocks)."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            i += 1
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        elif line.strip():
            raise ValueError(f"bad GITHUB_OUTPUT line {line!r}")
        i += 1
    return out


@dataclass
class StepResult:
    name: str
    ran: bool
    outcome: str  # success | failure | skipped
    outputs: dict[str, str]
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    artifacts: Path
    sarif_uploads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.outcome == "failure" for s in self.steps)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def log(self) -> str:
        return "\n".join(f"--- {s.name} [{s.outcome}]\n{s.stdout}{s.stderr}" for s in self.steps)


def run_action(
    action_dir: Path,
    workspace: Path,
    runner_root: Path,
    inputs: dict[str, str],
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> ActionRun:
    """Run ``action_dir/action.yml`` as the composite action of one job step."""
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    declared = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
    temp = runner_root / "temp"
    files = runner_root / "files"
    artifacts = runner_root / "artifacts"
    for d in (temp, files, artifacts):
        d.mkdir(parents=True, exist_ok=True)
    input_values = {k: str(v.get("default", "")) for k, v in declared.items()}
    input_values.update(inputs)
    base_env = dict(os.environ if env is None else env)
    base_env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(action_dir),
            "RUNNER_TEMP": str(temp),
            "RUNNER_OS": "Linux",
            "GITHUB_REPOSITORY": "example/fraud-detector",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_WORKFLOW": "aigate",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
        }
    )
    if (workspace / ".git").exists():
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True, text=True, check=True
        ).stdout.strip()
        base_env["GITHUB_SHA"] = sha
    contexts: dict[str, Any] = {
        "inputs": input_values,
        "steps": {},
        "github": {
            "action_path": str(action_dir),
            "workspace": str(workspace),
            "token": "stand-in-github-token",
            "actor": "stand-in-actor",
        },
        "runner": {"temp": str(temp), "os": "Linux"},
        "env": base_env,
    }
    # input defaults may be expressions over the github context (e.g. `${{ github.token }}`)
    for k in declared:
        if k not in inputs:
            input_values[k] = interpolate(input_values[k], contexts)
    summary_parts: list[str] = []
    results: list[StepResult] = []
    uploads: list[dict[str, Any]] = []
    status = "success"
    for n, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {n}")
        cond = step.get("if", "success()")
        cond = cond.strip()
        if cond.startswith("${{") and cond.endswith("}}"):
            cond = cond[3:-2]
        if not re.search(r"\b(success|failure|always|cancelled)\(\)", cond):
            cond = f"success() && ({cond})"
        if not truthy(evaluate(cond, contexts, status)):
            results.append(StepResult(name, False, "skipped", {}))
            continue
        out_file = files / f"output_{n}"
        summary_file = files / f"summary_{n}"
        out_file.touch()
        summary_file.touch()
        step_env = dict(base_env)
        step_env["GITHUB_OUTPUT"] = str(out_file)
        step_env["GITHUB_STEP_SUMMARY"] = str(summary_file)
        step_env["GITHUB_ENV"] = str(files / f"env_{n}")
        step_env["GITHUB_PATH"] = str(files / f"path_{n}")
        for key, value in (step.get("env") or {}).items():
            step_env[key] = interpolate(str(value), contexts)
        if "run" in step:
            assert step.get("shell") == "bash", f"{name}: composite run steps need shell: bash"
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            outcome = "success" if proc.returncode == 0 else "failure"
            outputs = read_outputs(out_file)
            res = StepResult(name, True, outcome, outputs, proc.stdout, proc.stderr)
        else:
            uses = step["uses"]
            with_ = {k: interpolate(str(v), contexts) for k, v in (step.get("with") or {}).items()}
            res = _stand_in(name, uses, with_, workspace, artifacts, uploads)
        summary_parts.append(summary_file.read_text(encoding="utf-8"))
        results.append(res)
        if "id" in step:
            contexts["steps"][step["id"]] = {"outputs": res.outputs, "outcome": res.outcome}
        if res.outcome == "failure":
            status = "failure"
    outputs = {k: interpolate(str(v["value"]), contexts) for k, v in action.get("outputs", {}).items()}
    return ActionRun(results, outputs, "".join(summary_parts), artifacts, uploads)


def _stand_in(
    name: str,
    uses: str,
    with_: dict[str, str],
    workspace: Path,
    artifacts: Path,
    uploads: list[dict[str, Any]],
) -> StepResult:
    action, _, ref = uses.partition("@")
    assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{uses}: third-party actions must be pinned by full SHA"
    if action == "actions/setup-python":
        return StepResult(name, True, "success", {"python-version": with_.get("python-version", "")})
    if action == "actions/upload-artifact":
        src = Path(with_["path"])
        src = src if src.is_absolute() else workspace / src
        if not src.exists():
            if with_.get("if-no-files-found", "warn") == "error":
                return StepResult(name, True, "failure", {}, stderr=f"no files found at {src}")
            return StepResult(name, True, "success", {})
        dest = artifacts / with_["name"]
        if dest.exists():
            return StepResult(name, True, "failure", {}, stderr=f"artifact {with_['name']} exists")
        if src.is_dir():
            shutil.copytree(src, dest)
        else:
            dest.mkdir()
            shutil.copy2(src, dest / src.name)
        return StepResult(name, True, "success", {"artifact-id": "1"})
    if action == "github/codeql-action/upload-sarif":
        path = Path(with_["sarif_file"])
        log = json.loads(path.read_text(encoding="utf-8"))
        if log.get("version") != "2.1.0":
            return StepResult(name, True, "failure", {}, stderr="not SARIF 2.1.0")
        uploads.append({"file": str(path), "category": with_.get("category"), "log": log})
        return StepResult(name, True, "success", {"sarif-id": "stand-in"})
    raise AssertionError(f"no stand-in for {uses}; add one to STAND_INS")
