# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import gates

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


def test_statistic_request():
    assert gates.statistic_request("Sum") == {"Statistics": ["Sum"]}
    assert gates.statistic_request("p99") == {"ExtendedStatistics": ["p99"]}
    assert gates.statistic_request("p99.9") == {"ExtendedStatistics": ["p99.9"]}
    assert gates.statistic_request("p100") == {"ExtendedStatistics": ["p100"]}
    for bad in ("sum", "p101", "avg", "", None):
        with pytest.raises(ValueError, match="is not one of"):
            gates.statistic_request(bad)


def test_datapoints_sorted_oldest_first_standard_and_extended():
    raw = [{"Timestamp": at(2), "Sum": 4.0}, {"Timestamp": at(0), "Sum": 1}, {"Timestamp": at(1), "Average": 3.0}]
    assert gates.datapoints(raw, "Sum") == [{"timestamp": "2026-01-01T12:00:00+00:00", "value": 1.0},
                                            {"timestamp": "2026-01-01T12:02:00+00:00", "value": 4.0}]
    extended = [{"Timestamp": at(0), "ExtendedStatistics": {"p99": 0.7}}]
    assert gates.datapoints(extended, "p99") == [{"timestamp": "2026-01-01T12:00:00+00:00", "value": 0.7}]


POINTS = [{"timestamp": "t1", "value": 3.0}, {"timestamp": "t2", "value": 42.0}, {"timestamp": "t3", "value": 0.0}]


@pytest.mark.parametrize("comparison, threshold, passed, value", [
    ("GreaterThanThreshold", 10, False, 42.0),
    ("GreaterThanThreshold", 42, True, 42.0),
    ("GreaterThanOrEqualToThreshold", 42, False, 42.0),
    ("LessThanThreshold", 0, True, 0.0),
    ("LessThanOrEqualToThreshold", 0, False, 0.0),
    ("LessThanThreshold", 1, False, 0.0),
])
def test_evaluate_metric_uses_the_worst_datapoint(comparison, threshold, passed, value):
    decision = gates.evaluate_metric(POINTS, threshold, comparison)
    assert (decision["passed"], decision["value"], decision["breached"]) == (passed, value, not passed)


def test_evaluate_metric_reason_carries_the_numbers():
    subject = gates.metric_subject("HTTPCode_Target_5XX_Count", "Sum", 60, 300, {"TargetGroup": "targetgroup/g/1", "LoadBalancer": "app/a/1"})
    assert subject == "HTTPCode_Target_5XX_Count (Sum per 60 s, LoadBalancer=app/a/1, TargetGroup=targetgroup/g/1) over the last 300 s"
    breach = gates.evaluate_metric(POINTS, 10.0, "GreaterThanThreshold", subject=subject)
    assert breach["reason"] == subject + ": worst of 3 datapoints is 42 at t2, > threshold 10: breach"
    calm = gates.evaluate_metric(POINTS, 50.5, "GreaterThanThreshold", subject="m")
    assert calm["reason"] == "m: worst of 3 datapoints is 42 at t2, not > threshold 50.5: pass"


def test_evaluate_metric_missing_data():
    assert gates.evaluate_metric([], 1, "GreaterThanThreshold")["passed"] is True
    failing = gates.evaluate_metric([], 1, "GreaterThanThreshold", treat_missing_data="fail", subject="m")
    assert (failing["passed"], failing["value"]) == (False, None)
    assert failing["reason"] == "m: no datapoints; missing data is treated as failing (treat_missing_data: fail)"


def test_evaluate_alarm():
    alarm = {"AlarmName": "shop-5xx", "StateValue": "ALARM", "StateReason": "Threshold Crossed: 1 datapoint [42.0] > 10"}
    decision = gates.evaluate_alarm(alarm, ["OK"])
    assert decision == {"passed": False, "state": "ALARM",
                        "reason": "alarm shop-5xx is ALARM (passing states: OK): Threshold Crossed: 1 datapoint [42.0] > 10"}
    assert gates.evaluate_alarm({"AlarmName": "a", "StateValue": "INSUFFICIENT_DATA"}, ["OK", "INSUFFICIENT_DATA"])["passed"] is True
