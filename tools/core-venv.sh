#!/usr/bin/env bash
# A virtualenv with another ansible-core, for the version matrix (`make versions`): build/core-venvs/<version>, made
# of ansible-core <version> (pip, from PyPI, no dependencies) in front of the project's .venv (a .pth file appends the
# project venv's site-packages: boto3, kubernetes, psycopg, jinja2, the bundled amazon.aws/kubernetes.core). Prints
# its bin directory. A no-op (~0 s) when it is there; ~10 s to make.
set -euo pipefail
version=${1:?usage: tools/core-venv.sh <ansible-core version>}
root=$(cd "$(dirname "$0")/.." && pwd)
project_venv=${CLOUDOPS_PROJECT_VENV:-$root/.venv}
dir=$root/build/core-venvs/$version
python=${PYTHON:-python3.11}
if [ -x "$dir/bin/ansible-playbook" ] && "$dir/bin/python" -c "import ansible.release as r, sys; sys.exit(r.__version__ != '$version')" 2>/dev/null; then
  echo "$dir/bin"; exit 0
fi
rm -rf "$dir"
"$python" -m venv --without-pip "$dir"
site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
project_site=$("$project_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$project_site" > "$site/zz-cloudops-project-venv.pth"
"$project_venv/bin/python" -m pip --python "$dir/bin/python" install -q --disable-pip-version-check --no-deps \
  "ansible-core==$version" >&2
"$dir/bin/python" -c "import ansible.release as r, sys; sys.exit(0 if r.__version__ == '$version' else 'ansible-core %s, not $version' % r.__version__)"
echo "$dir/bin"
