#!/usr/bin/env bash
# Set up .venv with the dev tools, the system packages, the real agent CLIs (npm) and the OTLP receiver (Phoenix)
# the tests drive, then lint, type-check and run the whole test suite (in parallel on 2 workers). Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh dev
scripts/system-deps.sh
scripts/npm-agents.sh || warn "the real agent CLIs are not installed: tests/agent_clis/ will fail (see above)"
scripts/otlp-receiver.sh || warn "the OTLP receiver is not installed: tests/observability/test_otlp_traces.py will skip (see above)"
check "ruff check" .venv/bin/ruff check src tests bench
check "ruff format --check" .venv/bin/ruff format --check src tests bench
check "mypy" .venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 "$@"
