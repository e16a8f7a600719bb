#!/usr/bin/env bash
# The real OTLP receiver the tracing tests send spans to: Arize Phoenix (an OpenTelemetry trace backend on PyPI;
# Debian packages no OpenTelemetry Collector or Jaeger), pinned, in a virtualenv of its own, .venv-phoenix
# (gitignored; its dependencies never meet clawgate's; about 850 MB and a minute the first time). The tests start
# it on loopback and stop it. Prints nothing when the pinned version is there; a failed install exits 1 with
# pip's log and removes the half-made virtualenv (tests/observability/test_otlp_traces.py then skips, saying so).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PHOENIX_VERSION=20.26.1
V=.venv-phoenix
PY=${PYTHON:-python3}
if "$V/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('arize-phoenix') != '$PHOENIX_VERSION')" \
  2>/dev/null; then
  exit 0
fi
log=$(mktemp -t clawgate-phoenix.XXXXXX)
say "installing the OTLP receiver for the tracing tests: arize-phoenix $PHOENIX_VERSION into $V" \
  "(about 850 MB, about a minute; pip's log: $log)"
fail() {
  done_step "failed"
  warn "$1; the end of the log ($log):"
  tail -n 25 "$log" >&2
  rm -rf "$V"
  exit 1
}
if [ ! -x "$V/bin/python" ]; then
  step "creating $V with $PY"
  "$PY" -m venv "$V" >"$log" 2>&1 || fail "could not create $V (Debian: apt-get install python3-venv)"
  done_step
fi
step "pip install arize-phoenix==$PHOENIX_VERSION"
"$V/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
  "arize-phoenix==$PHOENIX_VERSION" >>"$log" 2>&1 || fail "pip could not install arize-phoenix"
done_step
rm -f "$log"
