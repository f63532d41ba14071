# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Load Balancer describe calls, as plain dicts."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import paginate


def _fail(module, e, what):
    module.fail_json_aws(e, msg="Could not describe %s: check the region and elasticloadbalancing:Describe* permissions" % what)


def load_balancer(module, conn, name):
    """The load balancer (boto3 shape), or None when no load balancer has that name."""
    try:
        return paginate(conn, "describe_load_balancers", Names=[name])["LoadBalancers"][0]
    except is_boto3_error_code("LoadBalancerNotFound"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "load balancer %s" % name)


def listener(module, conn, lb_arn, port):
    """The listener of the load balancer on port (boto3 shape), or None."""
    try:
        listeners = paginate(conn, "describe_listeners", LoadBalancerArn=lb_arn)["Listeners"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "listeners of %s" % lb_arn)
    return next((item for item in listeners if item.get("Port") == port), None)


def target_groups(module, conn, arns=None, names=None):
    """Target groups by ARN or by name (boto3 shape); a missing name fails with the name in the message."""
    params = {"TargetGroupArns": arns} if arns else {"Names": names}
    try:
        return paginate(conn, "describe_target_groups", **params)["TargetGroups"]
    except is_boto3_error_code("TargetGroupNotFound") as e:
        module.fail_json_aws(e, msg="Target group not found among %s: fix the colour map (target group names)" % (names or arns))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "target groups %s" % (names or arns))


def target_health(module, conn, tg_arn):
    """Targets of a group as [{id, port, state, reason, description}], sorted by id and port."""
    try:
        found = conn.describe_target_health(TargetGroupArn=tg_arn, aws_retry=True)["TargetHealthDescriptions"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "target health of %s" % tg_arn)
    targets = [
        {
            "id": item["Target"]["Id"],
            "port": item["Target"].get("Port"),
            "state": item.get("TargetHealth", {}).get("State"),
            "reason": item.get("TargetHealth", {}).get("Reason"),
            "description": item.get("TargetHealth", {}).get("Description"),
        }
        for item in found
    ]
    return sorted(targets, key=lambda target: (target["id"], target["port"] or 0))


def forward_of(listener_desc):
    """The listener's forward targets as [{target_group_arn, weight}] from its default actions.

    A plain forward (TargetGroupArn, no ForwardConfig) sends all traffic to one group: weight 1.
    """
    for action in listener_desc.get("DefaultActions", []):
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return [{"target_group_arn": group["TargetGroupArn"], "weight": int(group.get("Weight", 1))} for group in groups]
        if action.get("TargetGroupArn"):
            return [{"target_group_arn": action["TargetGroupArn"], "weight": 1}]
    return []
