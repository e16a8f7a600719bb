# Helpers the set-up scripts share (sourced, not run): one prefixed line per step, with its time.
#   say "text"            a line: "clawgate setup: text"
#   step "text"; ...; done_step ["detail"]   "clawgate setup: text … 2.4 s [detail]"
#   elapsed_since START   seconds since START (from `now`), one decimal

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf 'clawgate setup: %s\n' "$*"; }
warn() { printf 'clawgate setup: %s\n' "$*" >&2; }
step() {
  _step_t0=$(now)
  printf 'clawgate setup: %s … ' "$*"
}
done_step() {
  printf '%s s%s\n' "$(elapsed_since "$_step_t0")" "${1:+ ($1)}"
}
# check "label" CMD...: run CMD quietly as one timed step; on failure print its output and exit with its status.
check() {
  local label=$1 out rc
  shift
  step "$label"
  out=$("$@" 2>&1) && rc=0 || rc=$?
  if [ $rc = 0 ]; then
    done_step
  else
    done_step "failed"
    printf '%s\n' "$out"
    exit $rc
  fi
}
# plural N WORD: "1 package", "3 packages"
plural() { if [ "$1" = 1 ]; then printf '1 %s' "$2"; else printf '%s %ss' "$1" "$2"; fi; }
