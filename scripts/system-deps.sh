#!/usr/bin/env bash
# The system packages the test suite drives, installed with apt-get when they are missing and this machine can
# (root and apt-get); otherwise it says which tests will skip. Prints nothing when all are there; never fails
# the run by itself.
#
# To add a package: one line in PACKAGES — the Debian package, what shows it is installed (a command on PATH, or
# an absolute path), and why / which tests need it. Then name it in README.md's "What set-up installs"
# (tests/docs/test_setup.py checks that every package here is named there).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES='
# package        installed when    why / which tests need it
tmux             tmux              tests/chat/test_tui_tmux.py drives `clawgate tui` in a real terminal
chromium         /usr/bin/chromium tests/ui/ drive the control UI in Debian'"'"'s Chromium, headless (Playwright)
redis-server     redis-server      tests/state/ start their own Redis (shared state across gateway processes)
postgresql       /usr/lib/postgresql/15/bin/postgres tests/state/ start their own PostgreSQL (initdb + postgres)
npm              npm               tests/agent_clis/ drive Claude Code and Codex CLI, installed from npm by scripts/npm-agents.sh
prometheus       prometheus        tests/observability/ start a real Prometheus that scrapes a gateway's /metrics (and lint it with promtool)
'

present() { if [[ "$1" == /* ]]; then [ -x "$1" ]; else command -v "$1" >/dev/null 2>&1; fi; }

need=() why=()
while read -r pkg check reason; do
  [ -z "$pkg" ] || [[ "$pkg" == \#* ]] && continue
  present "$check" || { need+=("$pkg") && why+=("$pkg: $reason"); }
done <<<"$PACKAGES"
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  warn "system packages missing: ${need[*]} (not root, or no apt-get); the tests that need them will skip:"
  printf '  %s\n' "${why[@]}" >&2
  warn "install them with: sudo apt-get install ${need[*]}"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -y -q -o DPkg::Lock::Timeout=600)
say "installing system packages with apt-get: ${need[*]}"
printf 'clawgate setup:   %s\n' "${why[@]}"
log=$(mktemp -t clawgate-apt.XXXXXX)
step "apt-get install ${need[*]}"
if "${apt[@]}" install "${need[@]}" >"$log" 2>&1; then
  done_step
else
  done_step "failed; refreshing the package lists"
  step "apt-get update"
  "${apt[@]}" update >>"$log" 2>&1
  done_step
  step "apt-get install ${need[*]}"
  if "${apt[@]}" install "${need[@]}" >>"$log" 2>&1; then
    done_step
  else
    done_step "failed"
    warn "could not install ${need[*]}: the tests that need them will skip. apt-get said:"
    tail -n 15 "$log" >&2
  fi
fi
rm -f "$log"
exit 0
