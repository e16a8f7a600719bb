#!/usr/bin/env bash
# The real agent CLIs the test suite drives through clawgate — Claude Code (@anthropic-ai/claude-code) and Codex
# CLI (@openai/codex), at the versions pinned by tools/agents/package-lock.json — installed into
# tools/agents/node_modules (gitignored) with `npm ci`. Prints nothing when the installed copy matches the
# lockfile. Without npm it says which tests will skip and exits 0; a failed install exits 1 (those tests then
# fail, with npm's log, rather than skip).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

dir=tools/agents
if ! command -v npm >/dev/null 2>&1; then
  warn "no npm on PATH: the real-agent tests (tests/agent_clis/: Claude Code, Codex CLI) will skip;" \
    "install it with: sudo apt-get install npm"
  exit 0
fi
stamp=$dir/node_modules/.clawgate-installed  # the lockfile's hash at the last good install
want=$(sha256sum "$dir/package-lock.json" | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
  && [ -x "$dir/node_modules/.bin/claude" ] && [ -x "$dir/node_modules/.bin/codex" ]; then
  exit 0
fi
log=$dir/npm-install.log
say "installing Claude Code and Codex CLI from npm into $dir/node_modules (npm ci, about 800 MB; npm's log: $log)"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
step "npm ci"
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
  done_step "failed"
  warn "npm ci failed; the end of its log ($log):"
  tail -n 25 "$log" >&2
  exit 1
fi
done_step
# Claude Code's postinstall puts its native binary where the stub is; run it where npm skipped install scripts
bin=$dir/node_modules/.bin
"$bin/claude" --version >/dev/null 2>&1 || node "$dir/node_modules/@anthropic-ai/claude-code/install.cjs" >>"$log" 2>&1
step "checking the installed CLIs"
if ! versions="$("$bin/claude" --version 2>>"$log" | head -n 1), $("$bin/codex" --version 2>>"$log" | head -n 1)"; then
  done_step "failed"
  warn "the installed CLIs do not start; the end of npm's log ($log):"
  tail -n 25 "$log" >&2
  exit 1
fi
done_step "$versions"
printf '%s\n' "$want" >"$stamp"
