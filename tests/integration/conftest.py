# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the integration tests: a private sandbox on free ports and a runner for the real playbooks."""

from __future__ import annotations

import contextlib

import json
import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable  # the project's venv (pytest runs from it), so ansible-playbook sits beside it
BIN = Path(PYTHON).parent
# One folder per pytest-xdist worker: two workers running the same runbook in the same second get the same run id.
TEST_RUNS = REPO / "build" / "test-runs" / os.environ.get("PYTEST_XDIST_WORKER", "main")


def collections_root(base: Path) -> Path:
    """A collections path with ansible_collections/cloudops/runbooks -> this repository.

    Dependencies (amazon.aws, kubernetes.core) come from the venv's site-packages, added after it.
    """
    link = base / "ansible_collections" / "cloudops" / "runbooks"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO)
    return base


def site_collections() -> str:
    """The venv's site-packages: the `ansible` package installs amazon.aws etc. under its ansible_collections/."""
    return sysconfig.get_paths()["purelib"]


def clean_env() -> dict:
    """The caller's environment without AWS credentials or endpoints, so a test can never reach real AWS, nor
    kubeconfigs or helm settings (HELM_NAMESPACE, HELM_KUBECONTEXT, ...) of the caller's own clusters."""
    return dict((key, value) for key, value in os.environ.items()
                if not key.startswith(("AWS_", "KUBECONFIG", "HELM_", "KUBECACHEDIR")))


def sandbox_cli(state: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "sandbox", *args, "--state-dir", str(state)] if args[0] != "knob" else
                          [PYTHON, "-m", "sandbox", "knob", *args[1:], "--state-dir", str(state)],
                          cwd=REPO, env=clean_env(), capture_output=True, text=True, check=check, timeout=120)


def read_env_file(path: Path) -> dict:
    """The variables a `source <state>/env` sets, read by bash itself (the file may quote or reference $PATH)."""
    out = subprocess.run(["bash", "-c", 'set -a; source "$1"; env -0', "_", str(path)], env=clean_env(),
                         capture_output=True, check=True).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def ansible_env(collections_path: str, sandbox_env: dict, **extra: str) -> dict:
    """The environment ansible runs with: no real AWS credentials, the sandbox's env, this collection, no colour,
    the sandbox's bin first (<state>/bin/helm and kubectl: the real helm v4 and kubectl, `make k8s-tools`) and then
    the venv on PATH; helm's cache, config and data dirs are the sandbox's (its env file sets HELM_*_HOME)."""
    env = dict(clean_env(), **sandbox_env)
    # The runbooks' run evidence (the run_evidence callback) goes to build/, not to the checkout's runs/.
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               CLOUDOPS_RUN_EVIDENCE_DIR=str(TEST_RUNS))
    env.update(extra)
    env["PATH"] = "%s:%s" % (env.get("PATH", ""), BIN)
    return env


def run_module(collections_path: str, sandbox_env: dict, name: str, args: dict, check: bool = False,
               diff: bool = False, inventory: str = "inventories/sandbox") -> dict:
    """Run cloudops.runbooks.<name> ad hoc with args; returns its result (failed or not)."""
    command = [str(BIN / "ansible"), "localhost", "-i", inventory, "-m", "cloudops.runbooks." + name, "-a", json.dumps(args)]
    command += (["--check"] if check else []) + (["--diff"] if diff else [])
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=ansible_env(collections_path, sandbox_env, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                                          ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"))
    try:
        return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError("ansible %s gave no result:\n%s\n%s" % (name, proc.stdout[-3000:], proc.stderr[-3000:]))


def sandbox_client(sandbox: dict, service: str, region: str):
    """A boto3 client of the sandbox's moto server, with its dummy credentials (the tests read the estate back)."""
    import boto3
    env = sandbox["env"]
    return boto3.client(service, region_name=region, endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def run_until(args: list, env: dict, pattern: str) -> str:
    """Run a command and kill its whole process group (ansible-playbook and its workers) when a line of its output
    contains `pattern`, as a lost AWX node or a kill -9 would. Returns the output up to the kill."""
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if pattern in line:
                os.killpg(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    text = "".join(seen)
    assert pattern in text, "the run ended before %r:\n%s" % (pattern, text[-4000:])
    return text


# What a failback or a re-run cannot keep in the status report: its timestamp, the re-created replica's endpoint
# and the lag of the moment.
STATUS_VOLATILE = (("collected_at",), ("rds", "replica", "endpoint"), ("rds", "*", "replica_lag_seconds"))


def comparable(report, volatile=STATUS_VOLATILE):
    """A status report without the fields listed in `volatile` (paths of keys, "*" matching any key)."""
    def strip(node, path):
        if isinstance(node, dict):
            return dict((k, strip(v, path + (k,))) for k, v in node.items()
                        if not any(len(p) == len(path) + 1 and all(a in ("*", b) for a, b in zip(p, path + (k,))) for p in volatile))
        if isinstance(node, list):
            return [strip(v, path) for v in node]
        return node
    return strip(report, ())


def ok(proc: subprocess.CompletedProcess) -> None:
    """Assert an ansible-playbook run succeeded, showing the end of its output when it did not."""
    assert proc.returncode == 0, "ansible-playbook failed:\n%s\n%s" % (proc.stdout[-6000:], proc.stderr[-3000:])


def flat(text: str) -> str:
    """Output with whitespace runs collapsed: the YAML callback folds long messages over several lines."""
    return " ".join(text.split())


def pytest_configure(config):
    config.addinivalue_line("markers", "long: the long variants (`make integration-long`); `make test` leaves them out")


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory) -> str:
    return "%s:%s" % (collections_root(tmp_path_factory.mktemp("collections")), site_collections())


@contextlib.contextmanager
def own_sandbox(state, *up_args):
    """`python -m sandbox up UP_ARGS` in the state dir `state` (free ports): {state, env, up (its output)}; a failed
    up fails the test with its output; stopped on the way out."""
    up = sandbox_cli(state, "up", *up_args, check=False)
    if up.returncode != 0:
        sandbox_cli(state, "down", check=False)
        pytest.fail("python -m sandbox up %sfailed (rc=%s):\n%s\n%s"
                    % ("".join(arg + " " for arg in up_args), up.returncode, up.stdout[-2000:], up.stderr[-4000:]))
    try:
        yield {"state": state, "env": read_env_file(state / "env"), "up": up.stdout}
    finally:
        sandbox_cli(state, "down", check=False)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """A sandbox of our own (free ports, own state dir), stopped at the end of the session."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture
def fresh_sandbox(sandbox):
    """The sandbox, reset to its seeded state after the test (knobs do not leak into other tests)."""
    yield sandbox
    sandbox_cli(sandbox["state"], "reset")


@pytest.fixture(scope="session")
def runner_drill(sandbox, collections_path, tmp_path_factory):
    """One failover drill run through ansible-runner as AWX runs it (awx_runner.py), shared by test_runner.py and
    test_report_render.py; the sandbox is reset after it."""
    from awx_runner import run_drill
    return run_drill(sandbox, collections_path, tmp_path_factory.mktemp("runner-drill"))


def sandbox_fixtures(helper, changing, reading):
    """Two fixtures giving a test file's helper class (built from a sandbox, collections_path and tmp_path): `changing`
    on a sandbox reset after the test, `reading` on the shared one for tests that leave the estate as they found it.
    Use: `rb, ro = sandbox_fixtures(Runbooks, "rb", "ro")` at module level."""
    @pytest.fixture(name=changing)
    def on_a_fresh_sandbox(fresh_sandbox, collections_path, tmp_path):
        return helper(fresh_sandbox, collections_path, tmp_path)

    @pytest.fixture(name=reading)
    def on_the_shared_sandbox(sandbox, collections_path, tmp_path):
        return helper(sandbox, collections_path, tmp_path)

    return on_a_fresh_sandbox, on_the_shared_sandbox


@pytest.fixture
def run_playbook(collections_path, tmp_path):
    """Run a playbook of the repository (extra command-line `args` such as --check); returns (completed process,
    status report dict or None)."""

    def run(playbook="playbooks/status.yml", inventory="inventories/sandbox", env=None, extra_vars=None, args=()):
        report = tmp_path / "status-report.json"
        variables = dict(extra_vars or {}, status_report_path=str(report))
        run_env = ansible_env(collections_path, env or {})
        proc = subprocess.run(
            [str(BIN / "ansible-playbook"), playbook, "-i", str(inventory), "-e", json.dumps(variables), *args],
            cwd=REPO, env=run_env, capture_output=True, text=True, timeout=300,
        )
        return proc, (json.loads(report.read_text()) if report.exists() else None)

    return run
