#!/usr/bin/env bash
# The pytest half of `make test`: every test but the browser tests in PYTEST_WORKERS parallel
# processes (pytest-xdist, default 3: on 2 cores most tests wait on databases and workers),
# then the browser tests in one process on a quiet machine (they drive Chromium against a
# live app and time out when the other workers hold both cores). Arguments go to both runs;
# a run that selects no test (e.g. `tests/db` for the browser run) is not a failure.
#
#   scripts/pytest-all.sh [--no-browser] [PYTEST_ARG...]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTEST="$ROOT/.venv/bin/pytest"
browser=1
if [[ "${1:-}" == "--no-browser" ]]; then
    browser=0
    shift
fi

# A marker expression given with -m narrows both runs: `-m "not slow"` → "(not slow) and
# not browser", then "(not slow) and browser".
marks="" args=()
while (($#)); do
    if [[ "$1" == "-m" && $# -ge 2 ]]; then
        marks="$2"
        shift 2
    else
        args+=("$1")
        shift
    fi
done
both() { [[ -n "$marks" ]] && echo "($marks) and $1" || echo "$1"; }

status=0
"$PYTEST" -n "${PYTEST_WORKERS:-3}" -m "$(both "not browser")" "${args[@]}" || status=$?
if ((browser)); then
    "$PYTEST" --headless -m "$(both browser)" "${args[@]}"
    browser_status=$?
    # 5: no browser test among the chosen paths.
    if ((browser_status != 0 && browser_status != 5)); then
        status=$browser_status
    fi
fi
exit "$status"
