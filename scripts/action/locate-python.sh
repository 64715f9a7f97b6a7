#!/usr/bin/env bash
# First step of action.yml: remember the job's python3 before the action may install its own.
# That interpreter's environment holds the release's dependencies; aigate inspects it (--python)
# rather than the virtual environment aigate itself runs in. Output: python=<path> (may be empty).
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"
found="$(command -v python3 || true)"
echo "python=$found" >>"$GITHUB_OUTPUT"
