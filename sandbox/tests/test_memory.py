"""The daemon's memory stays bounded across resets (issue 17 item 4).

It used to grow by 10-17 MB with every `sandbox reset` and never come back: moto caches a few methods with
functools' lru_cache/cache (AccountSpecificBackend._generate_regions, Subnet._base_avail_ip_iterator), whose keys hold
`self`, so every replaced backend - each EC2 region with its ~1,300 AMIs, volumes and snapshots - stayed reachable.
daemon.release_memory() empties those caches after a reset, collects and trims the heap.

One AWS-only sandbox (--no-k8s: the Kubernetes emulators' reset drops their stores whole) reset 20 times; the growth
from after the 2nd reset (caches, the allocator's pools warm) to after the 20th must stay under GROWTH_BOUND_MB
(measured here: a few MB; 18 resets cost 180-300 MB before the fix).
"""
import time

import pytest

from sandbox import cli
from sandbox.tests.conftest import run_sandbox_cli

RESETS = 20
GROWTH_BOUND_MB = 40


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


@pytest.mark.long  # about 2 minutes: make sandbox-tests-long
def test_twenty_resets_keep_the_daemon_s_memory_bounded(tmp_path):
    state = tmp_path / "state"
    run_sandbox_cli("up", "--no-k8s", "--state-dir", state, timeout=180)
    try:
        pid = int((state / "sandbox.pid").read_text())
        rss, t0 = {0: rss_mb(pid)}, time.monotonic()
        for n in range(1, RESETS + 1):
            assert cli.main(["reset", "--state-dir", str(state)]) == 0  # in this process: no interpreter start each
            rss[n] = rss_mb(pid)
        growth = rss[RESETS] - rss[2]
        print(f"\nRSS MB after up {rss[0]:.0f}, reset 2 {rss[2]:.0f}, reset {RESETS} {rss[RESETS]:.0f}: "
              f"+{growth:.1f} MB over {RESETS - 2} resets ({time.monotonic() - t0:.0f} s)")
        assert growth < GROWTH_BOUND_MB, {n: round(v) for n, v in rss.items()}
    finally:
        run_sandbox_cli("down", "--state-dir", state, check=False)
