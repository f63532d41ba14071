# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS describe calls, as plain dicts."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code


def describe_instance(module, conn, instance_id):
    """The DBInstances entry (boto3 shape) for an identifier or ARN, or None when it does not exist."""
    try:
        found = conn.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe RDS instance %s: check the region and rds:DescribeDBInstances permission" % instance_id)
    return found[0] if found else None


def region_of_arn(value):
    """The region of an RDS ARN (arn:aws:rds:REGION:ACCOUNT:db:NAME), None for a plain identifier."""
    parts = (value or "").split(":")
    return parts[3] if len(parts) > 6 and parts[0] == "arn" else None
