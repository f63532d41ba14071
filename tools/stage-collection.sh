#!/usr/bin/env bash
# Stage the collection the way ansible-test needs it: a real directory <tree>/ansible_collections/cloudops/runbooks
# holding exactly what `ansible-galaxy collection build` ships, outside any git work tree (ansible-test would
# otherwise list files through git and find none), with amazon.aws and kubernetes.core from the `ansible`
# package linked beside it (ansible-test replaces ANSIBLE_COLLECTIONS_PATH, so doc fragments must be found there).
# Prints the staged collection's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv_bin=${VENV_BIN:-$root/.venv/bin}
stage=${CLOUDOPS_STAGE_DIR:-${TMPDIR:-/tmp}/cloudops-runbooks-stage}
tree=$stage/ansible_collections/cloudops/runbooks

rm -rf "$stage"
mkdir -p "$tree" "$stage/dist"
"$venv_bin/ansible-galaxy" collection build "$root" --output-path "$stage/dist" --force >/dev/null
tar -xzf "$stage"/dist/cloudops-runbooks-*.tar.gz -C "$tree"
# tests/unit is shipped; ansible-test needs it, nothing else from tests/ besides sanity ignores.
site=$("$venv_bin/python" -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(os.path.dirname(m.__file__))))' 2>/dev/null \
  || "$venv_bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"] + "/ansible_collections")')
for dep in amazon/aws kubernetes/core; do
  mkdir -p "$stage/ansible_collections/${dep%/*}"
  ln -sfn "$site/$dep" "$stage/ansible_collections/$dep"
done

# ansible-test bootstraps pip in its virtualenvs with get-pip.py from a host we cannot reach; give it the stand-in.
pip_version=$("$venv_bin/python" - <<'PY'
import re, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
# Copied then renamed: `make test` stages for sanity and units at the same time, and ansible-test must never read a
# half-written copy.
standin=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
cp "$root/tools/get_pip_standin.py" "$standin.$$" && mv -f "$standin.$$" "$standin"
echo "$tree"
