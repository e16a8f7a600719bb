#!/usr/bin/env bash
# Install the system programs the test suite drives (tmux for the TUI test, Debian's Chromium for the
# browser tests) when they are missing and this machine can install them (root + apt-get). Otherwise say
# which tests will skip. Never fails the run by itself.
set -uo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
    || echo "could not install ${need[*]}: the tests that need them will skip" >&2
else
  echo "missing ${need[*]} (not root or no apt-get): the tests that need them will skip" >&2
fi
exit 0
