# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/payloads: the run's module payloads built ahead of its steps, with ansible-core's own builder, into
the run's payload cache (the file a step's build would write), by a detached process that stops with the run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.cloudops.runbooks.plugins.plugin_utils import payloads

# The directory holding ansible_collections/ (this collection's tree and, beside it or on sys.path, amazon.aws).
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(payloads.__file__), *[os.pardir] * 5))
MODULE = "cloudops.runbooks.runbook_lock"
CACHED = "ansible_collections.cloudops.runbooks.plugins.modules.runbook_lock-"


def in_a_controller(local_tmp, code):
    """Run `code` in a fresh interpreter set up as ansible-playbook sets up its workers (the plugin loader finding the
    collections, DEFAULT_LOCAL_TMP the run's temporary directory); `build`, `build_in_background`, `Templar` and
    `os` are in scope. Returns the completed process (output captured)."""
    prelude = textwrap.dedent("""
        import os, sys
        from ansible import constants as C
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader(sys.argv[1:2])
        C.DEFAULT_LOCAL_TMP = sys.argv[2]
        from ansible.template import Templar
        from ansible_collections.cloudops.runbooks.plugins.plugin_utils.payloads import build, build_in_background
        """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), COLLECTIONS_ROOT, str(local_tmp)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def run_tmp(tmp_path):
    """A run's temporary directory (ansible-core's DEFAULT_LOCAL_TMP)."""
    local_tmp = tmp_path / "ansible-local-run"
    local_tmp.mkdir()
    return local_tmp


def cached(local_tmp):
    folder = local_tmp / "ansiballz_cache"
    return sorted(name for name in os.listdir(folder) if not name.endswith(".lock")) if folder.is_dir() else []


def test_build_writes_the_payload_a_step_would_find(run_tmp):
    proc = in_a_controller(run_tmp, """
        build(["%s", "cloudops.runbooks.no_such_module"], Templar(), {}, os.getpid())
        """ % MODULE)
    assert proc.returncode == 0, proc.stderr
    built = cached(run_tmp)
    assert len(built) == 1 and built[0].startswith(CACHED)
    assert (run_tmp / "ansiballz_cache" / built[0]).stat().st_size > 10000


def test_build_stops_and_cleans_up_when_the_run_is_gone(run_tmp):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    proc = in_a_controller(run_tmp, """
        build(["%s"], Templar(), {}, %d)
        """ % (MODULE, gone.pid))
    assert proc.returncode == 0, proc.stderr
    assert not run_tmp.exists()


def test_build_in_background_returns_and_the_detached_process_builds(run_tmp):
    # The caller's parent stands for ansible-playbook: this test process, alive until the payload is there.
    proc = in_a_controller(run_tmp, """
        print(build_in_background(["%s"], Templar(), {}))
        """ % MODULE)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr
    deadline = time.monotonic() + 120
    while not cached(run_tmp) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cached(run_tmp)[0].startswith(CACHED)


def test_nothing_is_built_when_switched_off_or_with_no_module(run_tmp, monkeypatch):
    monkeypatch.setenv(payloads.DISABLE_ENV, "1")
    proc = in_a_controller(run_tmp, """
        print(build_in_background([], Templar(), {}), build_in_background(["%s"], Templar(), {}))
        """ % MODULE)
    assert proc.returncode == 0 and proc.stdout.split() == ["False", "False"], proc.stderr
    assert cached(run_tmp) == []
