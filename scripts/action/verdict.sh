#!/usr/bin/env bash
# Last step of action.yml: fail the job unless the gate passed. Runs `if: always()`, so a missing
# exit code (the gate step itself broke) fails too: nothing that was not evaluated is a pass.
set -euo pipefail

code="${AIGATE_EXIT_CODE:-}"
case "$code" in
  0)
    echo "aigate: ${AIGATE_DECISION:-pass}"
    exit 0
    ;;
  1)
    echo "::error title=aigate::the gate denied this release (decision: ${AIGATE_DECISION:-fail}); see the job summary"
    exit 1
    ;;
  "")
    echo "::error title=aigate::the gate did not run to the end; no decision was made"
    exit 3
    ;;
  *)
    echo "::error title=aigate::aigate could not decide (exit $code: 2 input error, 3 could not finish); see the log"
    exit "$code"
    ;;
esac
