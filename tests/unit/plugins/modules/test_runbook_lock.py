# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""runbook_lock against a stubbed DynamoDB: the conditional writes, a lost race, a retried write that had landed,
check mode without writes, the missing table, releases by the holder only."""

from __future__ import annotations

import pytest

pytest.importorskip("boto3")
from boto3.dynamodb.types import TypeSerializer  # noqa: E402

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.modules import runbook_lock  # noqa: E402

NOW = 1769860800  # 2026-01-31T12:00:00Z
TABLE, REGION = "cloudops-runbook-locks", "us-west-2"
KEY = {"lock_id": {"S": "prod"}}
ME = {"host": "ctl-1", "boot_id": "boot-a", "pid": 4242, "pid_started": 900, "user": "alice"}
ARGS = {"environment": "prod", "table_name": TABLE, "region": REGION, "runbook": "deploy", "run_id": "deploy-prod-1",
        "ttl_seconds": 3600}


class NewToken(object):
    """What uuid.uuid4() returns, as far as the module looks at it."""
    hex = "t-new"


@pytest.fixture
def lock_module(aws, monkeypatch):
    monkeypatch.setattr(runbook_lock.time, "time", lambda: NOW)
    monkeypatch.setattr(runbook_lock, "this_run", lambda params: dict(ME, runbook=params["runbook"], run_id=params["run_id"]))
    monkeypatch.setattr(runbook_lock.uuid, "uuid4", NewToken)
    monkeypatch.setattr(runbook_lock, "process_alive", lambda pid, started: True)
    return aws


def item(record):
    serialize = TypeSerializer().serialize
    return dict((k, serialize(v)) for k, v in record.items())


def mine(**changes):
    return locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1", **changes), NOW - 60, 3600, "t-mine")


def others():
    return locking.new_record("prod", dict(ME, host="ctl-2", pid=77, runbook="backup", run_id="backup-prod-1", user="bob"),
                              NOW - 60, 3600, "t-other")


def get(stub, record):
    stub.add_response("get_item", {"Item": item(record)} if record else {},
                      {"TableName": TABLE, "Key": KEY, "ConsistentRead": True})


def test_a_free_lock_is_written_only_if_it_is_still_absent(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    expected = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new")
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(expected), "ConditionExpression": "attribute_not_exists(#key)",
                                      "ExpressionAttributeNames": {"#key": "lock_id"}})
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_diff=True))
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "acquired" and result["holder_state"] == "absent"
    assert result["lock"]["pid"] == 4242 and result["lock"]["expires_at"] == "2026-01-31T13:00:00Z"
    assert result["diff"]["before"] == {} and "token" not in result["diff"]["after"]


def test_check_mode_reads_and_predicts_without_writing(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_check_mode=True))
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "acquired" and result["lock"]["run_id"] == "deploy-prod-1"


def test_a_lost_race_reads_again_and_refuses_naming_the_winner(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    ddb.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
    get(ddb, others())
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert failed and result["outcome"] == "refused"
    assert result["msg"].startswith("deploy refused, nothing changed: another runbook holds the lock of environment prod "
                                    "(runbook backup, run backup-prod-1, user bob, host ctl-2 (pid 77)")
    assert result["msg"].endswith("release the lock: ansible-playbook playbooks/release_lock.yml -i INVENTORY -e lock_force=true")


def test_a_retried_write_that_had_landed_is_not_taken_for_a_lost_race(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    written = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new")
    get(ddb, None)
    ddb.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
    get(ddb, written)
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert not failed and result["outcome"] == "acquired" and result["changed"] and result["previous"] is None


def test_a_missing_table_says_how_to_create_it(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    ddb.add_client_error("get_item", service_error_code="ResourceNotFoundException", http_status_code=400)
    failed, result = lock_module.run(runbook_lock, ARGS)
    assert failed
    assert result["msg"].startswith("The runbook lock table cloudops-runbook-locks does not exist in us-west-2.")
    assert ("aws dynamodb create-table --region us-west-2 --table-name cloudops-runbook-locks --attribute-definitions "
            "AttributeName=lock_id,AttributeType=S --key-schema AttributeName=lock_id,KeyType=HASH") in result["msg"]


def test_the_holder_releases_on_the_condition_that_the_lock_is_still_its_own(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, mine())
    ddb.add_response("delete_item", {}, {"TableName": TABLE, "Key": KEY, "ConditionExpression": "#token = :token",
                                         "ExpressionAttributeNames": {"#token": "token"},
                                         "ExpressionAttributeValues": {":token": {"S": "t-mine"}}})
    failed, result = lock_module.run(runbook_lock, {"state": "released", "environment": "prod", "table_name": TABLE, "region": REGION,
                                                    "holder_only": True, "run_id": "deploy-prod-1"})
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "released" and result["lock"] is None


def test_a_run_s_final_release_leaves_a_lock_another_run_took_over(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, others())
    failed, result = lock_module.run(runbook_lock, {"state": "released", "environment": "prod", "table_name": TABLE, "region": REGION,
                                                    "holder_only": True})
    lock_module.verify()
    assert not failed and not result["changed"] and result["outcome"] == "left" and result["lock"]["run_id"] == "backup-prod-1"


def test_renewing_its_own_lock_rewrites_it_but_is_no_change(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    before = mine()
    get(ddb, before)
    after = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", previous=before)
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(after), "ConditionExpression": "#token = :token",
                                      "ExpressionAttributeNames": {"#token": "token"},
                                      "ExpressionAttributeValues": {":token": {"S": "t-mine"}}})
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert not failed and not result["changed"] and result["outcome"] == "renewed"
    assert result["lock"]["started_at"] == before["started_at"] and result["lock"]["expires_epoch"] == NOW + 3600
