#!/usr/bin/env bash
# Step "Install aigate" of action.yml. Inputs arrive as environment variables only:
#   AIGATE_INSTALL      "false": use the aigate already on PATH (self-hosted runners)
#   AIGATE_VERSION      a PyPI version to install; empty installs the action's own checkout
#   AIGATE_ACTION_PATH  the action's checkout (github.action_path)
# Output: aigate=<path of the aigate executable>.
# aigate goes into its own virtual environment under RUNNER_TEMP so that it neither sees nor
# changes the project's packages (the environment it inspects is the job's, chosen with --python).
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"

if [ "${AIGATE_INSTALL:-true}" = "false" ]; then
  bin="$(command -v aigate || true)"
  if [ -z "$bin" ]; then
    echo "::error title=aigate::install is false but no aigate is on PATH; install it first or set install: true"
    exit 2
  fi
elif [ "${AIGATE_INSTALL:-true}" = "true" ]; then
  venv="${RUNNER_TEMP:?RUNNER_TEMP is not set}/aigate-venv"
  if [ -n "${AIGATE_VERSION:-}" ]; then
    # A version, never an arbitrary pip argument or URL.
    if ! [[ "$AIGATE_VERSION" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
      echo "::error title=aigate::aigate-version must be a version such as 1.2.0, not '$AIGATE_VERSION'"
      exit 2
    fi
    spec="aigate==$AIGATE_VERSION"
  else
    spec="${AIGATE_ACTION_PATH:?AIGATE_ACTION_PATH is not set}"
  fi
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
  bin="$venv/bin/aigate"
else
  echo "::error title=aigate::install must be true or false, not '$AIGATE_INSTALL'"
  exit 2
fi

"$bin" --version
echo "aigate=$bin" >>"$GITHUB_OUTPUT"
