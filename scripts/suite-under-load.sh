#!/usr/bin/env bash
# The whole test command three times in a row on a loaded machine: one CPU burner (`while :; do :; done`) runs the
# whole time, taking one of a 2-core machine's cores. Proves the suite does not depend on a quiet machine.
#   scripts/suite-under-load.sh [out-dir]      (default /tmp/ucv-under-load)
# Run it in a checkout nothing edits meanwhile (e.g. `git worktree add`). Writes run<N>.log, a load average each
# minute (loadavg) and one summary line per run (summary); exits non-zero when any run failed.
set -u
OUT=${1:-/tmp/ucv-under-load}
mkdir -p "$OUT"
sh -c 'while :; do :; done' &
BURNER=$!
(while :; do echo "$(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 60; done) >"$OUT/loadavg" &
LOADLOG=$!
trap 'kill $BURNER $LOADLOG 2>/dev/null' EXIT
: >"$OUT/summary"
failed=0
for i in 1 2 3; do
  start=$(date +%s)
  npm test >"$OUT/run$i.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || failed=1
  echo "run $i rc $rc $(($(date +%s) - start)) s $(grep -E '^Test Suites:|^Tests:' "$OUT/run$i.log" | tr '\n' ' ')" >>"$OUT/summary"
done
cat "$OUT/summary"
exit $failed
