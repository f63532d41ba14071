"""Stand-in for pip's get-pip.py, used by ansible-test when it bootstraps pip into its sanity virtualenvs.

ansible-test downloads get-pip.py from ci-files.testing.ansible.com, which is not reachable from our machines;
it uses a cached copy at ~/.ansible/test/cache/get_pip_<version>.py instead when one exists. `make sanity`
copies this file there. Like get-pip.py it installs pip (and the packages it is given) with a pip that runs
from the wheel bundled with the interpreter's ensurepip.
"""

import glob
import os
import sys

import ensurepip

BUNDLED = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
PIP_WHEEL = sorted(glob.glob(os.path.join(BUNDLED, "pip-*.whl")))[-1]
# get-pip.py's own switches; pip's `install` does not know them.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    sys.path.insert(0, PIP_WHEEL)
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    sys.exit(pip_main(["install", *args]))


if __name__ == "__main__":
    main()
