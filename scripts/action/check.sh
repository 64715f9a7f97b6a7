#!/usr/bin/env bash
# Step "Run the gate" of action.yml. Inputs arrive as environment variables only (AIGATE_*, see
# action.yml). Runs `aigate check` once, writing every report at once; records the exit code and
# the decision as step outputs instead of failing here, so that the summary and the uploads still
# happen. The last step of the action (verdict.sh) fails the job.
set -uo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"
aigate="${AIGATE:-aigate}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

report_dir="${AIGATE_REPORT_DIR:-}"
if [ -z "$report_dir" ]; then
  report_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/aigate"
fi
case "$report_dir" in
  /*) ;;
  *) report_dir="${GITHUB_WORKSPACE:-$PWD}/$report_dir" ;;
esac
mkdir -p "$report_dir"

args=(check -C "${AIGATE_PROJECT_DIR:-.}" --bundle-dir "$report_dir/bundle" --sign "${AIGATE_SIGN:-keyless}"
  --format markdown --output "$report_dir/aigate.md"
  --format json --output "$report_dir/aigate.json"
  --format sarif --output "$report_dir/aigate.sarif")

if [ -n "${AIGATE_MANIFEST:-}" ]; then args+=(--manifest "$AIGATE_MANIFEST"); fi
# The environment the release ships: the `python` input, else the job's python3 (never aigate's own venv).
inspect="${AIGATE_INSPECT_PYTHON:-${AIGATE_JOB_PYTHON:-}}"
if [ -n "$inspect" ]; then args+=(--python "$inspect"); fi
if [ -n "${AIGATE_SINCE:-}" ]; then args+=(--since "$AIGATE_SINCE"); fi

# Multi-line inputs: one path per line; blank lines ignored; spaces inside a path are kept.
add_lines() {
  local flag="$1" value="$2" line
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    if [ -n "$line" ]; then args+=("$flag" "$line"); fi
  done <<<"$value"
}
add_lines --policy "${AIGATE_POLICY:-}"
add_lines --data "${AIGATE_DATA:-}"
add_lines --input "${AIGATE_INPUT:-}"

bool() {
  case "$2" in
    true) return 0 ;;
    false | "") return 1 ;;
    *)
      echo "::error title=aigate::$1 must be true or false, not '$2'"
      exit 2
      ;;
  esac
}
if bool dry-run "${AIGATE_DRY_RUN:-false}"; then args+=(--dry-run); fi
# push: the registry credentials travel in AIGATE_REGISTRY_USERNAME/PASSWORD (aigate reads them
# from the environment and never prints them); only the destination is an argument
if [ -n "${AIGATE_PUSH:-}" ]; then
  args+=(--push "$AIGATE_PUSH")
  if bool registry-plain-http "${AIGATE_REGISTRY_PLAIN_HTTP:-false}"; then args+=(--plain-http); fi
else
  unset AIGATE_REGISTRY_USERNAME AIGATE_REGISTRY_PASSWORD
fi
if bool fail-on-warn "${AIGATE_FAIL_ON_WARN:-false}"; then args+=(--fail-on-warn); fi

stdout_format=""
for fmt in ${AIGATE_FORMATS:-}; do
  case "$fmt" in
    markdown | json | sarif) ;; # always written
    github) stdout_format=github ;;
    junit) args+=(--format junit --output "$report_dir/aigate.junit.xml") ;;
    gitlab) args+=(--format gitlab --output "$report_dir/aigate.codequality.json") ;;
    text) args+=(--format text --output "$report_dir/aigate.txt") ;;
    *)
      echo "::error title=aigate::unknown format '$fmt' in formats (choose from github junit gitlab text)"
      exit 2
      ;;
  esac
done
if [ -n "$stdout_format" ]; then args+=(--format "$stdout_format"); fi

echo "aigate ${args[*]}"
"$aigate" "${args[@]}"
code=$?

python3 "$here/outputs.py" --exit-code "$code" --report-dir "$report_dir"
