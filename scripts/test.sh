#!/usr/bin/env bash
# The whole gate: lint, types, then every test tier. pytest's "no tests" (exit 5) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
set -e
echo "== ruff"; ruff check .
echo "== mypy"; mypy shared services infra local plugins cli
echo "== pytest"
set +e
# One file per worker: a module-scoped cloud starts once, and dependent browser steps stay in order. Files
# are handed out longest first (tests/conftest.py), not by how many tests they hold.
pytest -n "${SVIDEO_TEST_WORKERS:-3}" --dist loadfile --no-loadscope-reorder "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi
exit "$rc"
