# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch metric reads, as plain dicts."""

from __future__ import annotations

import datetime

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency


def metric_datapoints(module, conn, namespace, metric, dimensions, lookback_seconds, statistic="Maximum", period=60):
    """Datapoints of one metric over the last lookback_seconds (boto3 shape: Timestamp, <statistic>)."""
    end = datetime.datetime.now(datetime.timezone.utc)
    start = end - datetime.timedelta(seconds=lookback_seconds)
    try:
        return conn.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": key, "Value": value} for key, value in sorted(dimensions.items())],
            StartTime=start,
            EndTime=end,
            Period=period,
            Statistics=[statistic],
            aws_retry=True,
        ).get("Datapoints", [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not read CloudWatch metric %s/%s: check cloudwatch:GetMetricStatistics permission" % (namespace, metric))


def metric_statistics(module, conn, namespace, metric, dimensions, start, end, period, statistic_params):
    """get_metric_statistics datapoints (boto3 shape) between start and end; statistic_params is
    {"Statistics": [...]} or {"ExtendedStatistics": [...]} (gates.statistic_request)."""
    try:
        return conn.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": key, "Value": str(value)} for key, value in sorted(dimensions.items())],
            StartTime=start,
            EndTime=end,
            Period=period,
            aws_retry=True,
            **statistic_params
        ).get("Datapoints", [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not read CloudWatch metric %s/%s: check the namespace, dimensions, period (a multiple of 60) "
                             "and cloudwatch:GetMetricStatistics permission" % (namespace, metric))


def alarm(module, conn, name):
    """The metric or composite alarm of that name (boto3 shape), or None."""
    try:
        found = conn.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"], aws_retry=True)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not describe CloudWatch alarm %s: check cloudwatch:DescribeAlarms permission" % name)
    alarms = found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])
    return alarms[0] if alarms else None
