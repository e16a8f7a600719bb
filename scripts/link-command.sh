#!/usr/bin/env bash
# Make `clawgate` runnable by name in new terminals, the way pipx does it: a symlink ~/.local/bin/clawgate to
# this checkout's .venv/bin/clawgate and, only when a new login shell would not have ~/.local/bin on PATH, one
# marked block appended to the login profile (~/.bash_profile, ~/.bash_login or ~/.profile, whichever bash
# reads; ~/.zprofile for zsh). Never replaces a file or a link it did not make: a ~/.local/bin/clawgate that is
# not a link to some checkout's .venv is left alone, with a message. Quiet when everything is in place.
#
# Usage: scripts/link-command.sh /path/to/.venv/bin/clawgate
# Undo:  rm ~/.local/bin/clawgate, and delete the block marked "clawgate setup" from the profile it names.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

target=$1
bindir="$HOME/.local/bin"
link="$bindir/clawgate"
marker="# added by clawgate's scripts/setup.sh"

show() { printf '%s' "${1/#$HOME/\~}"; }

if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
  exit 0 # already ours, pointing here
fi
if [ -L "$link" ] && [[ "$(readlink "$link")" == */.venv/bin/clawgate ]]; then
  old=$(readlink "$link")
  ln -sfn "$target" "$link"
  say "$(show "$link") now runs this checkout's clawgate (it ran $(show "$old"))"
  exit 0 # it was on PATH before
elif [ -e "$link" ] || [ -L "$link" ]; then
  warn "$(show "$link") exists and is not a link made by this script: left alone. Run this checkout's" \
    "clawgate as $(show "$target"), or remove $(show "$link") and run scripts/setup.sh again."
  exit 0
fi
mkdir -p "$bindir" && ln -s "$target" "$link" || {
  warn "could not create $(show "$link"): run clawgate as $(show "$target")"
  exit 0
}
say "linked $(show "$link") -> $(show "$target")"

# Would a new terminal find it? Ask a fresh login shell, with this user's profile files and nothing inherited.
shell=$(basename "${SHELL:-bash}")
case "$shell" in
  zsh) profile="$HOME/.zprofile" ;;
  *)
    shell=bash profile="$HOME/.profile"
    for f in "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.profile"; do
      if [ -e "$f" ]; then profile=$f && break; fi
    done
    ;;
esac
login_path() {
  env -i HOME="$HOME" USER="${USER:-}" LOGNAME="${LOGNAME:-${USER:-}}" SHELL="${SHELL:-/bin/bash}" TERM=dumb \
    timeout 20 "$shell" -lc 'printf "\n@PATH=%s\n" "$PATH"' </dev/null 2>/dev/null | sed -n 's/^@PATH=//p' | tail -n 1
}
on_path() { case ":$(login_path):" in *":$bindir:"*) return 0 ;; *) return 1 ;; esac; }

if on_path; then
  exit 0
fi
if ! grep -qF "$marker" "$profile" 2>/dev/null; then
  {
    [ -s "$profile" ] && printf '\n'
    printf '%s: put ~/.local/bin (where `clawgate` is linked) on PATH.\n' "$marker"
    printf 'case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH"; export PATH ;; esac\n'
  } >>"$profile" || {
    warn "could not write $(show "$profile"): add ~/.local/bin to PATH yourself to run \`clawgate\` by name"
    exit 0
  }
  say "added ~/.local/bin to PATH in $(show "$profile") (a marked block, for new terminals)"
fi
if on_path; then
  case ":$PATH:" in
    *":$bindir:"*) ;;
    *) say "in this terminal, run: export PATH=\"\$HOME/.local/bin:\$PATH\"  (new terminals have it)" ;;
  esac
else
  warn "a new login shell still has no ~/.local/bin on PATH (check $(show "$profile")): run clawgate as $(show "$target")"
fi
exit 0
