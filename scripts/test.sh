#!/usr/bin/env bash
# Runs the suite on SQLite and, when PostgreSQL is reachable, on PostgreSQL too.
# Under CI=true PostgreSQL is required. Usage: scripts/test.sh [sqlite|postgres] [pytest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
only="${1:-all}"
case "$only" in sqlite|postgres|all) shift || true ;; *) only=all ;; esac

PG_URL_BASE="${ESCALADE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
ci="${CI:-false}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_pytest() {
  local label="$1"; shift
  echo "=== tests on $label ==="
  # Two processes on the two cores; a file's tests stay in one process (session fixtures).
  ESCALADE_HOME="$work/$label" "$BIN/pytest" -n "${ESCALADE_TEST_PROCESSES:-2}" --dist loadfile "$@"
  local code=$?
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests on $label: that is a broken suite, not a pass" >&2
    return 1
  fi
  return "$code"
}

postgres_reachable() {
  "$BIN/python" - "$PG_URL_BASE" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1] + "/postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

status=0
if [ "$only" != postgres ]; then
  run_pytest sqlite "$@" || status=1
fi
if [ "$only" != sqlite ]; then
  if postgres_reachable; then
    # A database name of our own, so parallel runs on one server do not collide.
    ESCALADE_DATABASE_URL="$PG_URL_BASE/escalade_$$" run_pytest postgres "$@" || status=1
  elif [ "$ci" = true ] || [ "$only" = postgres ]; then
    echo "PostgreSQL is required here (CI=$ci) but is not reachable at $PG_URL_BASE" >&2
    status=1
  else
    echo "PostgreSQL not reachable: skipped the PostgreSQL run (it is required under CI=true)"
  fi
fi
exit "$status"
