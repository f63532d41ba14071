#!/usr/bin/env bash
# Run a command with a sandbox of its own: start it in STATE_DIR, export its environment, run, always stop it.
# Usage: tools/with-sandbox.sh STATE_DIR COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${VENV_BIN:-$root/.venv/bin}/python
state=$1
shift
# The sandbox runs the real helm and kubectl: install them if they are not there yet (a checksum check otherwise).
"$root/tools/install-k8s-tools.sh" >/dev/null
"$python" -m sandbox up --state-dir "$state" --inventory "$root/inventories/sandbox"
trap '"$python" -m sandbox down --state-dir "$state"' EXIT
# shellcheck disable=SC1091
source "$state/env"
"$@"
