#!/usr/bin/env bash
# Set up the virtualenv, then run the clawgate gateway in the foreground on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/clawgate gateway run "$@"
