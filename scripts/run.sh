#!/usr/bin/env bash
# Set up .venv (and `clawgate` on PATH for new terminals), then run the clawgate gateway in the foreground on
# its embedded defaults (state in $CLAWGATE_HOME or ~/.clawgate, SQLite, listening on 127.0.0.1:18789). Extra
# arguments go to `clawgate gateway run` (e.g. --port 18800).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/clawgate gateway run "$@"
