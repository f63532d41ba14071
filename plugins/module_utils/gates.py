# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployment gates over CloudWatch: a metric's datapoints over a window against a threshold, or an alarm's state.

Pure functions over plain values (no AWS calls). The comparison names the BREACH condition, as CloudWatch alarms
do: GreaterThanThreshold breaches when the value is above the threshold.
"""

from __future__ import annotations

import operator
import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

# comparison -> (symbol, test of a breach, which datapoint is the worst)
COMPARISONS = {
    "GreaterThanThreshold": (">", operator.gt, max),
    "GreaterThanOrEqualToThreshold": (">=", operator.ge, max),
    "LessThanThreshold": ("<", operator.lt, min),
    "LessThanOrEqualToThreshold": ("<=", operator.le, min),
}
STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100(\.0+)?)$")
MISSING_PASS = "pass"
MISSING_FAIL = "fail"


def statistic_request(statistic):
    """The get_metric_statistics parameter for a statistic: {"Statistics": [...]} or {"ExtendedStatistics": [...]}.

    Raises ValueError for anything but the five standard statistics and percentiles p0..p100 (p99, p99.9).
    """
    if statistic in STANDARD_STATISTICS:
        return {"Statistics": [statistic]}
    if _PERCENTILE.match(statistic or ""):
        return {"ExtendedStatistics": [statistic]}
    raise ValueError("statistic %r is not one of %s or a percentile such as p99" % (statistic, ", ".join(STANDARD_STATISTICS)))


def _timestamp(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def datapoints(raw, statistic):
    """[{timestamp, value}] oldest first from get_metric_statistics datapoints (standard or extended statistic).

    Datapoints without a value for the statistic are dropped.
    """
    points = []
    for point in raw or []:
        value = point.get(statistic)
        if value is None:
            value = (point.get("ExtendedStatistics") or {}).get(statistic)
        if value is not None:
            points.append((point["Timestamp"], float(value)))
    points.sort(key=lambda pair: pair[0])
    return [{"timestamp": _timestamp(timestamp), "value": value} for timestamp, value in points]


def number(value):
    """A number as people write it: 42, 0.523, 1.5e-05."""
    return "%g" % value


def evaluate_metric(points, threshold, comparison, treat_missing_data=MISSING_PASS, subject="the metric"):
    """Decide a metric gate over a window's datapoints.

    value is the worst datapoint for the comparison (the highest for GreaterThan*, the lowest for LessThan*):
    the gate passes when even that one does not breach. With no datapoints, treat_missing_data decides.
    subject describes the metric in the reason, e.g. "HTTPCode_Target_5XX_Count (Sum per 60 s) over the last 300 s".
    Returns {passed, value, breached, reason}.
    """
    symbol, breach, worst_of = COMPARISONS[comparison]
    if not points:
        passed = treat_missing_data == MISSING_PASS
        return {"passed": passed, "value": None, "breached": False,
                "reason": "%s: no datapoints; missing data is treated as %s (treat_missing_data: %s)" % (
                    subject, "passing" if passed else "failing", treat_missing_data)}
    worst = worst_of(points, key=lambda point: point["value"])
    breached = breach(worst["value"], threshold)
    verdict = "breach" if breached else "pass"
    return {"passed": not breached, "value": worst["value"], "breached": breached,
            "reason": "%s: worst of %s datapoints is %s at %s, %s%s threshold %s: %s" % (
                subject, len(points), number(worst["value"]), worst["timestamp"], "" if breached else "not ", symbol,
                number(threshold), verdict)}


def metric_subject(metric_name, statistic, period, window_seconds, dimensions):
    """'TargetResponseTime (Average per 60 s, LoadBalancer=app/x/1) over the last 300 s'."""
    where = ", ".join("%s=%s" % (key, value) for key, value in sorted((dimensions or {}).items()))
    return "%s (%s per %s s%s) over the last %s s" % (metric_name, statistic, period, ", " + where if where else "", window_seconds)


def evaluate_alarm(alarm, ok_states):
    """Decide an alarm gate: passed when the alarm's state is one of ok_states. Returns {passed, state, reason}."""
    state = alarm.get("StateValue")
    passed = state in ok_states
    reason = "alarm %s is %s (passing states: %s)" % (alarm.get("AlarmName"), state, ", ".join(ok_states))
    if alarm.get("StateReason"):
        reason += ": %s" % alarm["StateReason"]
    return {"passed": passed, "state": state, "reason": reason}


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def gate_step_summary(result):
    """step_summary of cloudwatch_gate: the metric's or the alarm's verdict with its numbers."""
    alarm = result.get("alarm") if isinstance(result.get("alarm"), dict) else {}
    name = alarm.get("name") or result.get("statistic") or "metric"
    numbers = steps.numbers_of(result, ("value", "threshold", "comparison", "statistic"))
    numbers.update(dict(("alarm_" + k, v) for k, v in steps.numbers_of(alarm, ("state",)).items()))
    return steps.summary(result.get("reason"), steps.numbers_of(result, ("value", "threshold")),
                         [steps.gate(name, result.get("passed"), result.get("reason"), numbers)])
