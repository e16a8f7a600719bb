#!/usr/bin/env bash
# Set up the virtualenv, then run clawgate's main job on its embedded defaults.
# (Until the gateway lands this is `clawgate doctor` on the current CLAWGATE_HOME.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/clawgate doctor "$@"
