"""Shared pytest setup for the sandbox tests: make the repository root importable (`import sandbox`)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


# --- A running sandbox (`python -m sandbox up`) shared by the whole session (lifecycle/AWS agent) ------------------
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


def run_sandbox_cli(*args, env=None, check=True, timeout=120):
    """Run `python -m sandbox ARGS` from the repository root; return the CompletedProcess."""
    res = subprocess.run([sys.executable, "-m", "sandbox", *map(str, args)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"python -m sandbox {' '.join(map(str, args))} -> {res.returncode}\n"
                             f"{res.stdout}\n{res.stderr}")
    return res


def sourced_env(env_file):
    """The environment after `source <state>/env` (also proves the file is valid shell)."""
    out = subprocess.run(["bash", "-c", f'. "{env_file}" && env -0'], check=True, capture_output=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


@dataclass
class RunningSandbox:
    state_dir: Path
    startup_seconds: float
    up_output: str
    env: dict = field(default_factory=dict)  # os.environ + the sandbox's env file

    @property
    def info(self):  # re-read: `reset` rewrites it
        return json.loads((self.state_dir / "sandbox.json").read_text())

    def cli(self, *args, check=True):
        """`python -m sandbox ARGS --state-dir <this sandbox>` (subcommand options must come first)."""
        return run_sandbox_cli(*args, "--state-dir", self.state_dir, env=self.env, check=check)


def pytest_configure(config):
    config.addinivalue_line("markers", "long: the long sandbox tests (`make sandbox-tests-long`); `make test` leaves them out")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """One sandbox (moto + two Kubernetes emulators, seeded) for the session, in a private state dir on free
    ports; `down` at the end. Tests must leave the estate as seeded (undo their knobs) or call `reset`."""
    state_dir = tmp_path_factory.mktemp("sandbox-state")
    t0 = time.monotonic()
    res = run_sandbox_cli("up", "--state-dir", state_dir, timeout=180)
    startup = time.monotonic() - t0
    print(f"\nsandbox up (measured by the fixture): {startup:.1f} s\n{res.stdout}")
    try:
        yield RunningSandbox(state_dir, startup, res.stdout, sourced_env(state_dir / "env"))
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)
