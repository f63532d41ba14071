# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The adaptive poller every wait of the collection uses: short pauses first (a condition that is almost met is
seen at once), then longer ones up to a cap, never past the deadline.

The cap is what bounds the outage time a wait adds: a state change is seen at most CAP seconds after it happens (a
pause counts from the start of the probe before it, so a slow answer does not widen the gap between two probes).
Peers poll every 30-60 s (botocore waiters, amazon.aws rds_instance), which can add a minute to an RTO per wait. At
1.5 s a ten-minute wait costs about 400 Describe calls, far below the APIs' rate limits, and the callers retry
throttling anyway.

An AWS operation that takes minutes (an RDS instance created, deleted or promoted, a node group scaled, a Route 53
change propagated) cannot be seen finishing by the quick first probes of backoff(): its waits use operation_pauses(),
every OPERATION_GAP seconds from the first probe, which still sees a change within DETECTION seconds with fewer
Describe calls (a failover drill's RDS waits: 52 -> 39).

Plain Python with the clock and sleep injected, so waits are unit-tested without waiting.
"""

from __future__ import annotations

import time


CAP = 1.5
# The longest a wait may take to notice a state change (issue 15's "detection <= 2 s").
DETECTION = 2.0
# The gap between the probes of an operation that takes minutes: DETECTION less a margin for when a probe reaches
# AWS. Pauses count from each probe's start, so only the variation of the time a request takes to be sent widens a
# gap: the benchmark's call logs show gaps within 15 ms of the pause on a loaded 2-core host, and 0.1 s is six times that.
OPERATION_GAP = 1.9


def backoff(start=0.5, factor=1.5, cap=CAP):
    """Pauses between polls: 0.5, 0.75, 1.125, 1.5, 1.5, ... seconds (endless)."""
    delay = start
    while True:
        yield delay
        delay = min(delay * factor, cap)


def operation_pauses(gap=OPERATION_GAP):
    """Pauses for an AWS operation that takes minutes: gap, gap, ... (endless). The first probe (at once) still sees
    an operation that finished at once; a quicker second one could not see it finish, and a sparser one would see it
    later than DETECTION."""
    while True:
        yield gap


_NOTHING_SEEN = object()


def poll_until(probe, done, timeout, clock=time.monotonic, sleep=time.sleep, delays=None, seen=_NOTHING_SEEN):
    """Call probe() until done(its result) is true or timeout seconds have passed.

    The first probe happens at once; with timeout 0 it is the only one. Pauses come from delays (default
    backoff()), each counted from the start of the probe before it, and are cut short so the last probe happens at
    the deadline, not after it.

    seen: an answer already in hand, such as the response of the call that started the operation (it shows the
    state at that moment). done(seen) returns it without a probe; otherwise it stands for the first probe, and the
    first probe comes a pause later (a probe at once would only repeat it).

    Returns {"result": the last probe's result, "done": bool, "polls": int, "elapsed": seconds}.
    """
    delays = delays if delays is not None else backoff()
    started = clock()
    deadline = started + max(timeout, 0)
    polls = 0
    if seen is not _NOTHING_SEEN:
        finished = bool(done(seen))
        if finished or timeout <= 0:
            return {"result": seen, "done": finished, "polls": 0, "elapsed": 0.0}
        sleep(max(0.0, min(next(delays), deadline - clock())))
    while True:
        polls += 1
        probed = clock()
        result = probe()
        finished = bool(done(result))
        now = clock()
        remaining = deadline - now
        if finished or remaining <= 0:
            return {"result": result, "done": finished, "polls": polls, "elapsed": round(now - started, 3)}
        sleep(max(0.0, min(probed + next(delays) - now, remaining)))
