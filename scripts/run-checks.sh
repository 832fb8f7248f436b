#!/usr/bin/env bash
# The whole check run behind `make test`: ruff, mypy, then pytest in parallel processes
# (pytest-xdist; PostgreSQL, MariaDB and Redis from scripts/test-services.sh). Every step
# runs even when an earlier one fails; the exit status is non-zero when any step failed.
# Arguments are passed on to pytest.
#
#   scripts/run-checks.sh [PYTEST_ARG...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"

failed=()

step() {
    local name="$1"
    shift
    printf '\n==> %s\n' "$name"
    if "$@"; then
        return 0
    else
        local status=$?
        printf '==> %s FAILED (exit status %s)\n' "$name" "$status"
        failed+=("$name")
    fi
}

pytest_args=()
if [[ ! -x /usr/bin/chromedriver ]] && ! command -v chromedriver >/dev/null 2>&1; then
    cat >&2 <<'EOF'

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  NO CHROMEDRIVER: /usr/bin/chromedriver is missing and `make test` is not
!!  running as root, so it could not install Debian's chromium and chromium-driver.
!!
!!  The BROWSER TESTS (marker "browser") WILL NOT RUN in this session.
!!  Install them with: sudo apt-get install chromium chromium-driver
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

EOF
    pytest_args+=(--no-browser)
fi

step "ruff check" "$BIN/ruff" check .
step "mypy" "$BIN/mypy"
# The suite in parallel, then the browser tests (scripts/pytest-all.sh).
step "pytest" "$ROOT/scripts/test-services.sh" "$ROOT/scripts/pytest-all.sh" "${pytest_args[@]}" "$@"

echo
if ((${#failed[@]})); then
    echo "==> FAILED: ${failed[*]}"
    exit 1
fi
echo "==> all checks passed"
