"""A stand-in for the aigate CLI root until it registers ``approve``: runs the real command and
maps AigateError to exit codes exactly like the root does (one line on stderr, no traceback)."""

from __future__ import annotations

import sys

from aigate.cli.approve import command
from aigate.errors import AigateError

if __name__ == "__main__":
    try:
        command.main(standalone_mode=False)
    except AigateError as exc:
        print(f"aigate: error: {exc.one_line()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    sys.exit(0)
