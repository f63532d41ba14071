# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ElastiCache Global Datastore failover I/O for elasticache_global_failover: FailoverGlobalReplicationGroup (through
_aws.common.apply: a lost response is never sent twice blindly) and a member group's GlobalDatastoreReplicationLag, read
as _aws/elasticache.cache_read reads the DR group's (the newest datapoint of each node, the largest of them).
The decisions are in module_utils/cache_failover.py."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import cache_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply


def failover(module, conn, global_id, region, group_id, **context):
    """FailoverGlobalReplicationGroup to group_id in region; returns the GlobalReplicationGroup of the answer."""
    def applied():
        found = conn.describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True,
                                                        aws_retry=True)["GlobalReplicationGroups"]
        # After a lost answer: the target primary, or the datastore busy with an operation (ours, most likely: the
        # wait that follows says so if it ends with another primary).
        if found and (cache_failover.is_primary(found[0], region, group_id) or found[0].get("Status") == "modifying"):
            return {"GlobalReplicationGroup": found[0]}
        return None

    try:
        return apply(conn.failover_global_replication_group,
                     dict(GlobalReplicationGroupId=global_id, PrimaryRegion=region, PrimaryReplicationGroupId=group_id),
                     applied)["GlobalReplicationGroup"]
    except is_boto3_error_code(["InvalidGlobalReplicationGroupState", "InvalidReplicationGroupState"]) as e:
        module.fail_json_aws(e, msg="ElastiCache refused to fail Global Datastore %s over to %s (%s) now: the datastore and its "
                             "members must be available (another operation in progress?); run again when it is" % (global_id, group_id, region),
                             **context)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not fail Global Datastore %s over to %s (%s): check the "
                             "elasticache:FailoverGlobalReplicationGroup permission and that %s is a secondary member of it"
                             % (global_id, group_id, region, group_id), **context)
    return None  # not reached: fail_json_aws exits
