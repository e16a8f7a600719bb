#!/usr/bin/env bash
# Set up this checkout: the virtualenv .venv with clawgate and its Python dependencies ("dev" adds the test and
# lint tools), then `clawgate` on PATH for new terminals (scripts/link-command.sh). Says what it does, with
# timings; prints nothing when nothing needs doing.
#
# Usage: scripts/setup.sh [dev]
# Environment: PYTHON=python3.11 (the interpreter for .venv, default python3);
#              CLAWGATE_LINK=0 (leave PATH and ~/.local/bin alone; also the default when CI is set).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

mode=base extra=""
if [ "${1:-}" = "dev" ]; then mode=dev extra="[dev]"; fi

# 1. the virtualenv
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! command -v "$PY" >/dev/null 2>&1; then
    warn "no $PY on PATH: install Python 3.11 or newer (Debian: apt-get install python3 python3-venv), or set PYTHON"
    exit 1
  fi
  if ! ver=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 11))'); then
    warn "$PY is Python $ver; clawgate needs 3.11 or newer: set PYTHON=/path/to/python3.11"
    exit 1
  fi
  step "creating .venv with $PY (Python $ver)"
  if ! "$PY" -m venv .venv; then
    echo
    warn "could not create .venv (Debian: apt-get install python3-venv), then run this again"
    rm -rf .venv
    exit 1
  fi
  done_step
fi

# 2. clawgate and its Python packages, when pyproject.toml changed or the dev tools are wanted and missing.
# The stamp holds "<mode> <hash of pyproject.toml>"; a dev install also satisfies a plain one.
stamp=.venv/.clawgate-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$have" != "dev $want" ] && [ "$have" != "$mode $want" ]; then
  log=.venv/pip-install.log
  say "installing clawgate and its Python packages${extra:+ with the dev tools} into .venv (pip's log: $log)"
  t0=$(now)
  tty=0
  [ -t 1 ] && tty=1
  set +e
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -e ".${extra}" 2>&1 \
    | tee "$log" | {
      n=0
      while IFS= read -r line; do
        case "$line" in
          Collecting\ *)
            n=$((n + 1)) name=${line#Collecting } name=${name%% *} name=${name%%[<>=!~;[(]*}
            if [ $tty = 1 ]; then
              printf '\r\033[Kclawgate setup:   resolving %d: %s' "$n" "$name"
            elif [ $((n % 10)) = 0 ]; then
              say "  resolved $(plural $n package) ($(elapsed_since "$t0") s)"
            fi
            ;;
          Installing\ collected\ packages:*)
            list=${line#*: } commas=${list//[^,]/}
            [ $tty = 1 ] && printf '\r\033[K'
            say "  installing $(plural $((${#commas} + 1)) package) ($(elapsed_since "$t0") s so far)"
            ;;
          ERROR:* | error:*) printf '%s\n' "$line" >&2 ;;
        esac
      done
      [ $tty = 1 ] && [ $n -gt 0 ] && printf '\r\033[K'
      true
    }
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then
    warn "pip failed (exit $rc); the end of its log ($log):"
    tail -n 25 "$log" >&2
    exit "$rc"
  fi
  installed=$(grep '^Successfully installed' "$log" | wc -w)
  installed=$((installed > 2 ? installed - 2 : 0))
  say "installed $(plural $installed package) into .venv in $(elapsed_since "$t0") s"
  printf '%s %s\n' "$mode" "$want" >"$stamp"
fi

# 3. `clawgate` by name in new terminals
if [ -z "${CI:-}" ] && [ "${CLAWGATE_LINK:-1}" != 0 ]; then
  bash scripts/link-command.sh "$PWD/.venv/bin/clawgate"
fi
