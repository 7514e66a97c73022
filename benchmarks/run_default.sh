#!/usr/bin/env bash
# Wall time of `intuitions run` from an empty cache (cold: fresh INTUITIONS_HOME, so the
# world, the ladder, the dequantised real model and the score cache are all rebuilt, and a
# fresh --out) and then from the full cache (warm: the same command again; every step is
# reused and only the report is re-rendered).
#
#   benchmarks/run_default.sh [preset]      # default: quick, the default preset
#   KEEP=1 benchmarks/run_default.sh smoke  # keep the run folder and home afterwards
#
# Targets on this 2-core machine (quick): <= 10 minutes cold, <= 1 minute warm. The
# machine's load average is printed with each timing: a busy second core slows everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${1:-quick}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/intuitions-bench.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then echo "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
export INTUITIONS_HOME="$WORK/home" OMP_WAIT_POLICY=PASSIVE
unset INTUITIONS_MODELS_DIR INTUITIONS_FAMILY_DIR
BIN=.venv/bin/intuitions
[ -x "$BIN" ] || BIN=intuitions

timed() {  # timed LABEL: runs `intuitions run`, prints the wall time and the load around it
  local label=$1 t0 t1 rc=0
  local load0; load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
  t0=$(date +%s.%N)
  "$BIN" run --preset "$PRESET" --out "$WORK/run" --no-progress --strict >"$WORK/$label.out" 2>"$WORK/$label.err" || rc=$?
  t1=$(date +%s.%N)
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  printf '%-5s %-6s %8s s   exit %d   load before %s, after %s\n' "$label" "$PRESET" "$wall" "$rc" \
    "$load0" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")"
  [ "$rc" -eq 0 ] || { echo "  $(tail -n 3 "$WORK/$label.err" | tr '\n' ' ')"; }
  eval "${label}_s=$wall"
}

echo "intuitions run --preset $PRESET on $(nproc) cores ($(uname -m)); home $INTUITIONS_HOME"
timed cold
timed warm
grep -h "steps (" "$WORK/cold.err" "$WORK/warm.err" | sed "s/^/  /" || true
printf '{"preset": "%s", "cold_s": %s, "warm_s": %s, "cores": %s}\n' "$PRESET" "$cold_s" "$warm_s" "$(nproc)"
