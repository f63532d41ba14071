# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import timing


def test_stopwatch_measures_with_the_monotonic_clock_and_stamps_utc_times():
    ticks = iter([100.0, 102.5, 104.25])
    walls = iter([datetime.datetime(2026, 1, 31, 12, 0, 0, tzinfo=timing.UTC),
                  datetime.datetime(2026, 1, 31, 12, 0, 4, 250000, tzinfo=timing.UTC)])
    watch = timing.Stopwatch(clock=lambda: next(ticks), wall=lambda: next(walls))
    assert watch.elapsed() == 2.5
    assert watch.stop() == {"started_at": "2026-01-31T12:00:00+00:00", "finished_at": "2026-01-31T12:00:04.250000+00:00",
                            "duration_seconds": 4.25}
