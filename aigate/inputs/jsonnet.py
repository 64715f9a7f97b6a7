"""Jsonnet, evaluated by the ``jsonnet`` wheel with no imports (a file may not read others).

Jsonnet is a full programming language, so a file can loop or allocate without end. It is
evaluated in a child process under a CPU-time, memory and wall-clock limit; past any of them
the input is refused (exit 2), never waited on.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from aigate.inputs.interface import MAX_INPUT_BYTES, InputParser, missing_library, one, parse_error, text_of
from aigate.yamlload import Document

_AT = re.compile(r":(\d+):(\d+)")
CPU_SECONDS = 10
MEMORY_BYTES = 1024 * 1024 * 1024

_CHILD = r"""
import resource, sys
cpu, mem = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
import _jsonnet

def no_imports(base, rel):
    raise RuntimeError("import " + repr(rel) + " is not allowed")

src = sys.stdin.buffer.read().decode("utf-8")
try:
    out = _jsonnet.evaluate_snippet(sys.argv[3], src, import_callback=no_imports, max_stack=200, max_trace=2)
except RuntimeError as exc:
    sys.stderr.write(str(exc))
    sys.exit(1)
sys.stdout.write(out)
"""


class JsonnetParser(InputParser):
    name = "jsonnet"
    requires = "jsonnet"

    def parse(self, raw: bytes, file: str) -> list[Document]:
        try:
            import _jsonnet  # noqa: F401 - checked here so the message names the extra
        except ImportError:
            raise missing_library(self.name, "jsonnet") from None
        text_of(raw, file)
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-c", _CHILD, str(CPU_SECONDS), str(MEMORY_BYTES), file],
                input=raw,
                capture_output=True,
                timeout=CPU_SECONDS * 2,
            )
        except subprocess.TimeoutExpired:
            raise parse_error(file, f"Jsonnet evaluation ran past {CPU_SECONDS * 2} s") from None
        if proc.returncode != 0:
            first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (
                first[0] if first else f"Jsonnet evaluation stopped (exit {proc.returncode}: over a limit)"
            )
            m = _AT.search(message)
            raise parse_error(file, message, *(int(m[1]), int(m[2])) if m else (None, None))
        if len(proc.stdout) > 4 * MAX_INPUT_BYTES:
            raise parse_error(file, "Jsonnet output is too large")
        return one(json.loads(proc.stdout), file)
