#!/usr/bin/env bash
# Set up .venv with the dev tools and the system packages the tests drive, then lint, type-check and run the
# whole test suite (in parallel on 2 workers). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh dev
scripts/system-deps.sh
check "ruff check" .venv/bin/ruff check src tests bench
check "ruff format --check" .venv/bin/ruff format --check src tests bench
check "mypy" .venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 "$@"
