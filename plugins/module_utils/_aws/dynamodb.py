# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DynamoDB calls of the runbook lock: one item per lock, read consistently, written and deleted only on a condition
(the item is absent, or still carries the token read), so two runs can never both believe they hold it.

Lost responses: a conditional write may be applied by DynamoDB and its response lost (a reset after the call). Sent
again it fails its own condition (the item is no longer absent, or no longer carries the old token), and a connection
error leaves it unknown whether it was applied. Either way the item is read back: carrying this write's token and
heartbeat id (a put) or gone (a delete), the write landed and counts as done; still as it was before (after a
connection error), it is sent again - a conditional write never applies twice, so re-sending it is safe.

Writes on an expected record (no read first): the module may write on the record this run expects the item to be
(`expected`, the record this run wrote last) instead of reading it. The condition is then the token and the heartbeat
id of that very write (a heartbeat renews the expiry in place and keeps both; every other write of the lock changes at
least one), so the write applies only to the item exactly as this run left it. The item read back after a failed
condition is handed to the caller (`seen`), who decides again on it without reading it once more."""

from __future__ import annotations

import decimal
import time

try:
    import botocore
    from boto3.dynamodb.types import TypeDeserializer
    from boto3.dynamodb.types import TypeSerializer
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking

CONDITION_FAILED = "ConditionalCheckFailedException"
# A conditional write whose fate a connection error left unknown is read back and, when it did not land, sent again
# at most this many times in all.
SENDS = 4


class TableMissing(Exception):
    """The lock table does not exist in that region."""


def create_table_command(table, region):
    """The AWS CLI commands that create the lock table (TTL on purge_epoch removes long-expired locks; an item marked
    unfinished has no purge_epoch, so the TTL never deletes the mark)."""
    return ("aws dynamodb create-table --region %s --table-name %s --attribute-definitions AttributeName=%s,AttributeType=S "
            "--key-schema AttributeName=%s,KeyType=HASH --billing-mode PAY_PER_REQUEST && aws dynamodb update-time-to-live "
            "--region %s --table-name %s --time-to-live-specification Enabled=true,AttributeName=purge_epoch"
            % (region, table, locking.KEY, locking.KEY, region, table))


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
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


def _lost(e):
    """A connection error: the request may or may not have reached DynamoDB (the response is lost)."""
    return isinstance(e, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError))


def _conditional(module, conn, table, what, call, landed, seen=None, **kwargs):
    """Run a conditional PutItem/DeleteItem; False when its condition failed because someone else wrote or released
    the lock in between. A failed condition or a connection error reads the item back: landed(item) says whether this
    very write is in it (its response was lost, a retry then found its own work). seen (a dict): its "item" is the
    item last read back (set whenever False is returned). Raises TableMissing."""
    seen = {} if seen is None else seen

    def read_back():
        seen["item"] = read(module, conn, table, _key_of(kwargs))
        return seen["item"]

    for attempt in range(SENDS):
        try:
            call(TableName=table, aws_retry=True, **kwargs)
            return True
        except is_boto3_error_code(CONDITION_FAILED):
            return landed(read_back())
        except is_boto3_error_code("ResourceNotFoundException"):  # pylint: disable=duplicate-except
            raise TableMissing(table)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
            if not _lost(e) or attempt == SENDS - 1:
                _fail(module, e, table, what)
            time.sleep(min(2.0, 0.25 * 2 ** attempt))
            if landed(read_back()):
                return True
    return False  # not reached


def _key_of(kwargs):
    if "Key" in kwargs:
        return kwargs["Key"][locking.KEY]["S"]
    return kwargs["Item"][locking.KEY]["S"]


def _token_is(condition_token, expected=None):
    """The item carries condition_token; with expected (the record this run wrote last), also that write's heartbeat
    id (none when it had none): the item is that very write, whatever its heartbeat renewed since."""
    condition = {"ConditionExpression": "#token = :token", "ExpressionAttributeNames": {"#token": "token"},
                 "ExpressionAttributeValues": {":token": {"S": condition_token}}}
    if expected is not None:
        condition["ExpressionAttributeNames"]["#hb"] = "heartbeat_id"
        if expected.get("heartbeat_id"):
            condition["ConditionExpression"] += " AND #hb = :hb"
            condition["ExpressionAttributeValues"][":hb"] = {"S": expected["heartbeat_id"]}
        else:
            condition["ConditionExpression"] += " AND attribute_not_exists(#hb)"
    return condition


def is_this_write(item, record):
    """The item read back is the record this run wrote (its token and heartbeat id are fresh per write; a heartbeat may
    have moved its expiry since)."""
    return item is not None and all(item.get(k) == record.get(k) for k in ("token", "heartbeat_id", locking.MARK, "run_id"))


def write(module, conn, table, record, condition_token, expected=None, seen=None):
    """Put the record if the lock is absent (condition_token None) or still carries condition_token (and, with
    expected, is still that write: see _token_is). Returns False when the condition failed (someone else wrote or
    released it in between); seen["item"] is then the item as read back."""
    if condition_token is None:
        condition = {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": {"#key": locking.KEY}}
    else:
        condition = _token_is(condition_token, expected)
    return _conditional(module, conn, table, "write", conn.put_item, lambda item: is_this_write(item, record), seen=seen,
                        Item=_to_item(record), **condition)


def delete(module, conn, table, key, condition_token, expected=None, seen=None):
    """Delete the lock if it still carries condition_token (and, with expected, is still that write); False when the
    condition failed (the item is there with another token: someone else took it; seen["item"] is then the item as
    read back). Gone when read back: released (by this call, its response lost, or by someone else - either way
    nobody holds it)."""
    return _conditional(module, conn, table, "release", conn.delete_item, lambda item: item is None, seen=seen,
                        Key={locking.KEY: {"S": key}}, **_token_is(condition_token, expected))


HEARTBEAT_RENEWED, HEARTBEAT_LOST, HEARTBEAT_FAILED = "renewed", "lost", "failed"


def heartbeat(conn, table, key, token, heartbeat_id, ttl_seconds, now, purge):
    """Renew the lock's expiry in place (UpdateItem: the other fields, an unfinished mark above all, are never
    rewritten), on the condition that it still carries this run's token and this heartbeat's id. HEARTBEAT_LOST when
    the condition failed (released, taken over, or a newer heartbeat of the same run took over), HEARTBEAT_FAILED on
    any other error (the caller tries again). No module here: the heartbeat process has no Ansible output."""
    expires = int(now) + int(ttl_seconds)
    names = {"#token": "token", "#hb": "heartbeat_id", "#exp": "expires_epoch", "#expat": "expires_at", "#ren": "renewed_epoch",
             "#hbat": "heartbeat_at"}
    values = {":token": {"S": token}, ":hb": {"S": heartbeat_id}, ":exp": {"N": str(expires)}, ":expat": {"S": locking.iso(expires)},
              ":ren": {"N": str(int(now))}, ":hbat": {"S": locking.iso(now)}}
    update = "SET #exp = :exp, #expat = :expat, #ren = :ren, #hbat = :hbat"
    if purge:
        names["#purge"], values[":purge"] = "purge_epoch", {"N": str(expires + locking.PURGE_AFTER)}
        update += ", #purge = :purge"
    try:
        conn.update_item(TableName=table, Key={locking.KEY: {"S": key}}, UpdateExpression=update,
                         ConditionExpression="#token = :token AND #hb = :hb", ExpressionAttributeNames=names,
                         ExpressionAttributeValues=values)
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") == CONDITION_FAILED:
            return HEARTBEAT_LOST
        return HEARTBEAT_FAILED
    # Any network trouble: try again at the next beat.
    except Exception:  # pylint: disable=broad-except
        return HEARTBEAT_FAILED
    return HEARTBEAT_RENEWED
