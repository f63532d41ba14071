# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DynamoDB calls of the runbook lock: one item per lock, read consistently, written and deleted only on a condition
(the item is absent, or still carries the token read), so two runs can never both believe they hold it."""

from __future__ import annotations

import decimal

try:
    import botocore
    from boto3.dynamodb.types import TypeDeserializer
    from boto3.dynamodb.types import TypeSerializer
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking

CONDITION_FAILED = "ConditionalCheckFailedException"


class TableMissing(Exception):
    """The lock table does not exist in that region."""


def create_table_command(table, region):
    """The AWS CLI commands that create the lock table (TTL on expires_epoch removes long-expired locks)."""
    return ("aws dynamodb create-table --region %s --table-name %s --attribute-definitions AttributeName=%s,AttributeType=S "
            "--key-schema AttributeName=%s,KeyType=HASH --billing-mode PAY_PER_REQUEST && aws dynamodb update-time-to-live "
            "--region %s --table-name %s --time-to-live-specification Enabled=true,AttributeName=expires_epoch"
            % (region, table, locking.KEY, locking.KEY, region, table))


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _from_item(item):
    deserialize = TypeDeserializer().deserialize
    return dict((name, _plain(deserialize(value))) for name, value in item.items())


def _to_item(record):
    serialize = TypeSerializer().serialize
    return dict((name, serialize(value)) for name, value in record.items())


def _fail(module, e, table, what):
    module.fail_json_aws(e, msg="Could not %s the runbook lock in DynamoDB table %s (%s): check dynamodb:GetItem, PutItem and "
                         "DeleteItem permissions on it" % (what, table, module.region))


def read(module, conn, table, key):
    """The lock record of key, or None. Raises TableMissing."""
    try:
        found = conn.get_item(TableName=table, Key={locking.KEY: {"S": key}}, ConsistentRead=True, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        raise TableMissing(table)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, table, "read")
    item = found.get("Item")
    return _from_item(item) if item else None


def _conditional(module, table, what, call, **kwargs):
    """Run a conditional PutItem/DeleteItem; False when its condition failed (someone else wrote or released the
    lock in between). Raises TableMissing."""
    try:
        call(TableName=table, aws_retry=True, **kwargs)
    except is_boto3_error_code(CONDITION_FAILED):
        return False
    except is_boto3_error_code("ResourceNotFoundException"):  # pylint: disable=duplicate-except
        raise TableMissing(table)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, table, what)
    return True


def _token_is(condition_token):
    return {"ConditionExpression": "#token = :token", "ExpressionAttributeNames": {"#token": "token"},
            "ExpressionAttributeValues": {":token": {"S": condition_token}}}


def write(module, conn, table, record, condition_token):
    """Put the record if the lock is absent (condition_token None) or still carries condition_token. Returns False
    when the condition failed (someone else wrote or released it in between)."""
    if condition_token is None:
        condition = {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": {"#key": locking.KEY}}
    else:
        condition = _token_is(condition_token)
    return _conditional(module, table, "write", conn.put_item, Item=_to_item(record), **condition)


def delete(module, conn, table, key, condition_token):
    """Delete the lock if it still carries condition_token; False when the condition failed."""
    return _conditional(module, table, "release", conn.delete_item, Key={locking.KEY: {"S": key}}, **_token_is(condition_token))
