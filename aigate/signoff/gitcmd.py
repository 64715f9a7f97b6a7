"""Running git for the sign-off code: one place that finds the binary, the repository and errors.

Every git call of the sign-off package goes through :class:`GitRunner` (GitPython's ``Git``
command wrapper), so that three failure modes are told apart everywhere:

- no ``git`` binary: :class:`GateFailure` (exit 3), the gate cannot check signatures at all;
- not a git repository: :class:`InputError` (exit 2), the user pointed aigate at the wrong place;
- a git command failing unexpectedly: :class:`CollectorError` (exit 3) with git's own last line.

GitPython is imported lazily and only after the binary was found: importing it without a git
binary raises at import time, which must surface as exit 3, not as a traceback.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import CollectorError, GateFailure, InputError

#: git configuration forced on every verification call, so that the user's or the repository's
#: configuration cannot swap the verifying program or lower the trust bar.
_NEUTRAL_CONFIG = ("core.hooksPath=/dev/null", "log.showSignature=false", "color.ui=false")


@dataclass(frozen=True)
class GitResult:
    status: int
    stdout: bytes
    stderr: str

    def last_error_line(self) -> str:
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {self.status}"


def git_binary() -> str:
    """Path of the git binary, or GateFailure (exit 3) when there is none."""
    found = shutil.which("git")
    if not found:
        raise GateFailure(
            "the git binary was not found on PATH; sign-offs live in git and cannot be checked without it",
            hint="install git in the CI image",
        )
    return found


class GitRunner:
    """git commands in one work tree, through GitPython's ``Git.execute``."""

    def __init__(self, cwd: Path):
        git_binary()
        try:
            import git as gitpython
        except ImportError as exc:  # GitPython refuses to import when it cannot run git
            raise GateFailure(f"cannot run git: {exc}", hint="install git in the CI image") from None
        self.cwd = cwd
        self._git = gitpython.Git(str(cwd))

    def run(
        self,
        args: Sequence[str],
        *,
        config: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> GitResult:
        """Run ``git [-c k=v ...] args`` and return status, raw stdout, decoded stderr; never raises
        for a non-zero status (callers decide what a failure means)."""
        cmd: list[str] = ["git"]
        for item in (*_NEUTRAL_CONFIG, *config):
            cmd += ["-c", item]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.update({"LC_ALL": "C", "LANG": "C", "GIT_TERMINAL_PROMPT": "0"})
        if env:
            full_env.update(env)
        stream: Any = None
        try:
            if stdin is not None:
                stream = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finally
                stream.write(stdin)
                stream.seek(0)
            status, out, err = self._git.execute(
                cmd,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                env=full_env,
                istream=stream,
            )
        except FileNotFoundError:
            raise GateFailure("the git binary disappeared while aigate was running") from None
        except OSError as exc:
            raise GateFailure(f"cannot run git: {exc}") from None
        finally:
            if stream is not None:
                stream.close()
        stderr = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err or "")
        return GitResult(int(status), bytes(out or b""), stderr)

    def check(self, args: Sequence[str], **kwargs: Any) -> bytes:
        """Run git and return stdout; a non-zero status is a CollectorError naming the command."""
        res = self.run(args, **kwargs)
        if res.status != 0:
            raise CollectorError(f"git {' '.join(args[:2])} failed in {self.cwd}: {res.last_error_line()}")
        return res.stdout

    def text(self, args: Sequence[str], **kwargs: Any) -> str:
        return self.check(args, **kwargs).decode("utf-8", "replace").strip()


def open_repository(root: Path) -> tuple[GitRunner, Path]:
    """The runner for ``root`` and the repository's top level; InputError when not in a repository."""
    if not root.is_dir():
        raise InputError(f"{root}: not a directory", hint="pass the project root with -C DIR")
    runner = GitRunner(root)
    res = runner.run(["rev-parse", "--show-toplevel"])
    if res.status != 0:
        raise InputError(
            f"{root} is not inside a git repository; sign-offs are recorded in git",
            hint="run aigate in a git clone (in CI: check the repository out first)",
        )
    top = Path(res.stdout.decode("utf-8", "replace").strip())
    return runner, top
