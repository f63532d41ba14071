# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CloudWatch gate read and judged (cloudwatch_gate, and the deploy's traffic step): an alarm's state, or a metric's
statistics over a window against a threshold. The verdicts are module_utils/gates.py's."""

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import gates
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch


def alarm_gate(module, conn, params, region):
    name = params["alarm_name"]
    alarm = cloudwatch.alarm(module, conn, name)
    if alarm is None:
        module.fail_json(msg="CloudWatch alarm %s not found in %s: check alarm_name and region" % (name, region))
    decision = gates.evaluate_alarm(alarm, params["ok_states"])
    updated = alarm.get("StateUpdatedTimestamp")
    return dict(
        passed=decision["passed"], value=None, datapoints=[], threshold=alarm.get("Threshold"),
        comparison=alarm.get("ComparisonOperator"), reason=decision["reason"],
        alarm={"name": name, "state": decision["state"], "state_reason": alarm.get("StateReason"),
               "state_updated": updated.isoformat() if hasattr(updated, "isoformat") else updated},
    )


def metric_gate(module, conn, params):
    try:
        statistic_params = gates.statistic_request(params["statistic"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    if params["period"] <= 0 or params["window_seconds"] < params["period"]:
        module.fail_json(msg="window_seconds (%s) must hold at least one period (%s s)" % (params["window_seconds"], params["period"]))
    dimensions = dict((str(key), str(value)) for key, value in params["dimensions"].items())
    end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = end - datetime.timedelta(seconds=params["window_seconds"])
    raw = cloudwatch.metric_statistics(module, conn, params["namespace"], params["metric_name"], dimensions, start, end,
                                       params["period"], statistic_params)
    points = gates.datapoints(raw, params["statistic"])
    subject = gates.metric_subject(params["metric_name"], params["statistic"], params["period"], params["window_seconds"], dimensions)
    decision = gates.evaluate_metric(points, params["threshold"], params["comparison"], params["treat_missing_data"], subject)
    return dict(
        passed=decision["passed"], value=decision["value"], datapoints=points, threshold=params["threshold"],
        comparison=params["comparison"], reason=decision["reason"], statistic=params["statistic"],
        window={"start": start.isoformat(), "end": end.isoformat()},
    )


def evaluate(module, conn, params, region):
    """cloudwatch_gate's result of `params` (its options, defaults applied): {passed, value, reason, ..., step_summary}."""
    result = alarm_gate(module, conn, params, region) if params.get("alarm_name") else metric_gate(module, conn, params)
    result["step_summary"] = gates.gate_step_summary(result)
    return result
