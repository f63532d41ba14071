# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The adaptive poller every wait of the collection uses: short pauses first (a condition that is almost met is
seen at once), then longer ones up to a cap, never past the deadline.

The cap is what bounds the outage time a wait adds: a state change is seen at most CAP seconds (plus one request)
after it happens. Peers poll every 30-60 s (botocore waiters, amazon.aws rds_instance), which can add a minute to an
RTO per wait. At 1.5 s a ten-minute wait costs about 400 Describe calls, far below the APIs' rate limits, and the
callers retry throttling anyway.

Plain Python with the clock and sleep injected, so waits are unit-tested without waiting.
"""

from __future__ import annotations

import time


CAP = 1.5


def backoff(start=0.5, factor=1.5, cap=CAP):
    """Pauses between polls: 0.5, 0.75, 1.125, 1.5, 1.5, ... seconds (endless)."""
    delay = start
    while True:
        yield delay
        delay = min(delay * factor, cap)


def poll_until(probe, done, timeout, clock=time.monotonic, sleep=time.sleep, delays=None):
    """Call probe() until done(its result) is true or timeout seconds have passed.

    The first probe happens at once; with timeout 0 it is the only one. Pauses come from delays (default
    backoff()) and are cut short so the last probe happens at the deadline, not after it.

    Returns {"result": the last probe's result, "done": bool, "polls": int, "elapsed": seconds}.
    """
    delays = delays if delays is not None else backoff()
    started = clock()
    deadline = started + max(timeout, 0)
    polls = 0
    while True:
        polls += 1
        result = probe()
        finished = bool(done(result))
        remaining = deadline - clock()
        if finished or remaining <= 0:
            return {"result": result, "done": finished, "polls": polls, "elapsed": round(clock() - started, 3)}
        sleep(min(next(delays), remaining))
