# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timings the failover modules return, so runbooks can measure RTO from module results alone.

A duration is measured with the monotonic clock (never skewed by NTP steps during a long wait); the start and end
are also given as UTC wall-clock times (ISO 8601, '2026-01-31T12:00:00.250000+00:00', the format backup.iso uses) so
spans across several tasks can be computed. Clocks are injectable for unit tests.
"""

from __future__ import annotations

import datetime
import time

UTC = datetime.timezone.utc


def utc_now():
    return datetime.datetime.now(UTC)


class Stopwatch(object):
    """Started when created; stop() returns {started_at, finished_at, duration_seconds}."""

    def __init__(self, clock=time.monotonic, wall=utc_now):
        self._clock, self._wall = clock, wall
        self._started = clock()
        self.started_at = wall().isoformat()

    def elapsed(self):
        """Seconds since the start (float, rounded to milliseconds)."""
        return round(self._clock() - self._started, 3)

    def stop(self):
        return {"started_at": self.started_at, "finished_at": self._wall().isoformat(), "duration_seconds": self.elapsed()}
