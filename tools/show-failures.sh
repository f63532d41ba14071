#!/usr/bin/env bash
# After a failed run, print what failed where a CI log's tail shows it: the failed tasks of an ansible log (with the
# lines after each) and the end of the sandbox daemon's log. Usage: tools/show-failures.sh LOG [SANDBOX_STATE_DIR]
set -uo pipefail
log=$1
state=${2:-}
echo "======== what failed (from $log) ========"
# Molecule colours its output; the failure lines are found without the escapes.
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -n -A 30 -E '^(fatal|failed): |FAILED! =>|ERROR! |^\s*fatal: ' | head -150
if [ -n "$state" ] && [ -f "$state/logs/daemon.log" ]; then
  echo "======== end of $state/logs/daemon.log (without the request log) ========"
  grep -v " werkzeug INFO " "$state/logs/daemon.log" | tail -n 40
fi
