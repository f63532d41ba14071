# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import itertools

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting


class Clock(object):
    """A fake clock that sleep() advances."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_backoff_grows_to_the_cap():
    assert list(itertools.islice(waiting.backoff(), 8)) == [0.5, 0.75, 1.125, 1.5, 1.5, 1.5, 1.5, 1.5]


def test_an_operation_s_pauses_keep_detection_within_its_budget():
    assert list(itertools.islice(waiting.operation_pauses(), 3)) == [waiting.OPERATION_GAP] * 3
    assert waiting.CAP < waiting.OPERATION_GAP < waiting.DETECTION


def test_a_pause_counts_from_the_start_of_the_probe_before_it():
    """A slow answer does not widen the gap between two probes (the time a change can go unseen)."""
    clock = Clock()
    starts = []

    def probe():
        starts.append(clock.now)
        clock.now += 0.4  # the request takes 0.4 s
        return len(starts)
    outcome = waiting.poll_until(probe, lambda value: value == 4, 60, clock, clock.sleep, delays=waiting.operation_pauses())
    assert outcome["polls"] == 4
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [waiting.OPERATION_GAP] * 3
    assert clock.sleeps == [pytest.approx(waiting.OPERATION_GAP - 0.4)] * 3


@pytest.mark.parametrize("changes_at", [0.1, 2.0, 11.9, 45.0, 899.0])
def test_an_operation_s_end_is_noticed_within_the_detection_budget(changes_at):
    clock = Clock()
    started = clock.now
    outcome = waiting.poll_until(lambda: clock.now - started >= changes_at, bool, 900, clock, clock.sleep, delays=waiting.operation_pauses())
    assert outcome["done"] is True
    assert 0 <= outcome["elapsed"] - changes_at <= waiting.OPERATION_GAP < waiting.DETECTION


def test_poll_until_returns_at_once_when_done():
    clock = Clock()
    outcome = waiting.poll_until(lambda: "ready", lambda value: value == "ready", 60, clock, clock.sleep)
    assert outcome == {"result": "ready", "done": True, "polls": 1, "elapsed": 0.0}
    assert clock.sleeps == []


def test_poll_until_waits_adaptively_until_done():
    clock = Clock()
    answers = iter([1, 2, 3])
    outcome = waiting.poll_until(lambda: next(answers), lambda value: value == 3, 60, clock, clock.sleep)
    assert (outcome["result"], outcome["done"], outcome["polls"]) == (3, True, 3)
    assert clock.sleeps == [0.5, 0.75]


def test_poll_until_never_sleeps_past_the_deadline():
    clock = Clock()
    outcome = waiting.poll_until(lambda: "no", lambda value: False, 10, clock, clock.sleep)
    assert outcome["done"] is False and outcome["elapsed"] == 10.0
    assert sum(clock.sleeps) == 10.0 and max(clock.sleeps) <= waiting.CAP
    assert outcome["polls"] == len(clock.sleeps) + 1


@pytest.mark.parametrize("changes_at", [0.1, 0.9, 2.0, 7.3, 59.99, 180.0, 599.5])
def test_a_state_change_is_noticed_within_the_cap_of_happening(changes_at):
    clock = Clock()
    started = clock.now
    outcome = waiting.poll_until(lambda: clock.now - started >= changes_at, bool, 900, clock, clock.sleep)
    assert outcome["done"] is True
    assert 0 <= outcome["elapsed"] - changes_at <= waiting.CAP


def test_poll_until_with_timeout_zero_probes_once():
    clock = Clock()
    outcome = waiting.poll_until(lambda: "no", lambda value: False, 0, clock, clock.sleep)
    assert (outcome["polls"], outcome["done"], clock.sleeps) == (1, False, [])


def test_an_answer_in_hand_that_shows_the_end_needs_no_probe():
    clock = Clock()
    outcome = waiting.poll_until(lambda: pytest.fail("probed"), lambda value: value == "INSYNC", 60, clock, clock.sleep,
                                 delays=waiting.operation_pauses(), seen="INSYNC")
    assert outcome == {"result": "INSYNC", "done": True, "polls": 0, "elapsed": 0.0}
    assert clock.sleeps == []


@pytest.mark.parametrize("changes_at", [0.1, 1.0, 2.0, 11.9, 45.0])
def test_an_answer_in_hand_stands_for_the_first_probe(changes_at):
    """The response of the call that started the operation is the look at once: the first probe is a gap later, and the
    end is still seen within the gap."""
    clock = Clock()
    started, starts = clock.now, []

    def probe():
        starts.append(clock.now - started)
        return clock.now - started >= changes_at
    outcome = waiting.poll_until(probe, bool, 900, clock, clock.sleep, delays=waiting.operation_pauses(), seen=False)
    assert starts[0] == pytest.approx(waiting.OPERATION_GAP)
    assert outcome["done"] is True and outcome["polls"] == len(starts)
    assert 0 <= outcome["elapsed"] - changes_at <= waiting.OPERATION_GAP < waiting.DETECTION
    # One probe fewer than without the answer in hand.
    assert len(starts) == waiting.poll_until(lambda: clock.now - started >= changes_at, bool, 900, *_fresh(clock, started),
                                             delays=waiting.operation_pauses())["polls"] - 1


def _fresh(clock, started):
    """A clock restarted at started (clock, sleep), for the same run without the answer in hand."""
    clock.now = started
    return clock, clock.sleep
