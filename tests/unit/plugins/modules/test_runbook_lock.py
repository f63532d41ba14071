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
    aws.heartbeats = []
    monkeypatch.setattr(runbook_lock, "start_heartbeat", lambda module, table, key, record: aws.heartbeats.append(record) or True)
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
    expected = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="t-new")
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(expected), "ConditionExpression": "attribute_not_exists(#key)",
                                      "ExpressionAttributeNames": {"#key": "lock_id"}})
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_diff=True))
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "acquired" and result["holder_state"] == "absent"
    assert result["lock"]["pid"] == 4242 and result["lock"]["expires_at"] == "2026-01-31T13:00:00Z"
    assert result["diff"]["before"] == {} and "token" not in result["diff"]["after"]
    assert result["heartbeat"] and lock_module.heartbeats == [expected]


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
    get(ddb, others())  # read back: not this write
    get(ddb, others())  # read again, decide again
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert failed and result["outcome"] == "refused"
    assert result["msg"].startswith("deploy refused, nothing changed: another runbook holds the lock of environment prod "
                                    "(runbook backup, run backup-prod-1, user bob, host ctl-2 (pid 77)")
    assert result["msg"].endswith("release the lock: ansible-playbook playbooks/release_lock.yml -i INVENTORY -e lock_force=true")


def test_a_retried_write_that_had_landed_is_not_taken_for_a_lost_race(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    written = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="t-new")
    get(ddb, None)
    ddb.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
    get(ddb, written)  # read back: this very write, its response lost
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
    after = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", previous=before,
                               heartbeat_id="t-new")
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(after), "ConditionExpression": "#token = :token",
                                      "ExpressionAttributeNames": {"#token": "token"},
                                      "ExpressionAttributeValues": {":token": {"S": "t-mine"}}})
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert not failed and not result["changed"] and result["outcome"] == "renewed"
    assert result["lock"]["started_at"] == before["started_at"] and result["lock"]["expires_epoch"] == NOW + 3600


# -- lost responses, in _aws/dynamodb.py ----------------------------------------------------------------------------------
class FakeDynamo(object):
    """A DynamoDB table of one item whose calls may apply and then lose their response (a reset after the call)."""

    def __init__(self, item=None, lose=0):
        self.item, self.lose, self.calls = item, lose, []

    def _answer(self):
        if self.lose:
            self.lose -= 1
            import botocore.exceptions
            raise botocore.exceptions.ConnectionClosedError(endpoint_url="https://dynamodb")
        return {}

    def _check(self, kwargs):
        import botocore.exceptions
        values = kwargs.get("ExpressionAttributeValues")
        ok = (self.item is None) if values is None else (self.item is not None and self.item.get("token") == values[":token"]["S"])
        if not ok:
            raise botocore.exceptions.ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")

    def put_item(self, **kwargs):
        self.calls.append("PutItem")
        self._check(kwargs)
        from boto3.dynamodb.types import TypeDeserializer
        self.item = dict((k, TypeDeserializer().deserialize(v)) for k, v in kwargs["Item"].items())
        return self._answer()

    def delete_item(self, **kwargs):
        self.calls.append("DeleteItem")
        self._check(kwargs)
        self.item = None
        return self._answer()

    def get_item(self, **kwargs):
        self.calls.append("GetItem")
        return {"Item": item(self.item)} if self.item else {}


class FailingModule(object):
    region = REGION

    def fail_json_aws(self, e, msg):
        raise AssertionError(msg)


@pytest.fixture
def no_pause(monkeypatch):
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import dynamodb
    monkeypatch.setattr(dynamodb.time, "sleep", lambda seconds: None)
    return dynamodb


def test_an_acquire_whose_response_was_lost_is_found_in_place_not_taken_for_a_lost_race(no_pause):
    record = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="hb")
    table = FakeDynamo(lose=1)
    assert no_pause.write(FailingModule(), table, TABLE, record, None) is True
    assert table.calls == ["PutItem", "GetItem"] and table.item["token"] == "t-new"  # applied once, not sent again


def test_a_write_that_did_not_land_before_the_connection_broke_is_sent_again_and_a_resent_one_fails_only_its_own_condition(no_pause):
    record = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="hb")

    class LostBeforeApplying(FakeDynamo):
        def put_item(self, **kwargs):
            if not self.calls:
                self.calls.append("PutItem")
                import botocore.exceptions
                raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb")
            return FakeDynamo.put_item(self, **kwargs)

    table = LostBeforeApplying()
    assert no_pause.write(FailingModule(), table, TABLE, record, None) is True
    assert table.calls == ["PutItem", "GetItem", "PutItem"]

    # Applied, its response lost, and sent again by a retry: the condition fails on its own write, which is read back.
    import botocore.exceptions
    landed = FakeDynamo(item=dict(record))
    landed.put_item = lambda **kwargs: (dummy for dummy in ()).throw(botocore.exceptions.ClientError(
        {"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem"))
    assert no_pause.write(FailingModule(), landed, TABLE, record, None) is True
    other = FakeDynamo(item=dict(record, token="t-other", heartbeat_id="hb-other"))
    other.put_item = landed.put_item
    assert no_pause.write(FailingModule(), other, TABLE, record, None) is False


def test_a_release_whose_response_was_lost_counts_as_released(no_pause):
    table = FakeDynamo(item={"lock_id": "prod", "token": "t-mine"}, lose=1)
    assert no_pause.delete(FailingModule(), table, TABLE, "prod", "t-mine") is True
    assert table.calls == ["DeleteItem", "GetItem"] and table.item is None


# -- the heartbeat ---------------------------------------------------------------------------------------------------------
class Clock(object):
    def __init__(self):
        self.now = float(NOW)

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def beating(monkeypatch, outcomes):
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import dynamodb
    seen = []

    def heartbeat(conn, table, key, token, heartbeat_id, ttl, now, purge):
        seen.append((now, token, heartbeat_id, purge))
        return outcomes.pop(0) if outcomes else dynamodb.HEARTBEAT_RENEWED

    monkeypatch.setattr(dynamodb, "heartbeat", heartbeat)
    return seen


def test_the_heartbeat_renews_every_third_of_the_ttl_while_the_run_lives_and_stops_when_it_is_gone(monkeypatch):
    seen, clock = beating(monkeypatch, []), Clock()
    record = locking.new_record("prod", dict(ME, runbook="deploy", run_id="r"), NOW, 30, "t-1", heartbeat_id="hb")
    why = runbook_lock.heartbeat_loop(None, TABLE, "prod", record, clock=clock.time, sleep=clock.sleep,
                                      alive=lambda pid, started: clock.now < NOW + 65)
    assert why == "gone" and [int(s[0]) - NOW for s in seen] == [10, 20, 30, 40, 50, 60]
    assert all(s[1:] == ("t-1", "hb", True) for s in seen)


def test_the_heartbeat_stops_when_the_lock_is_no_longer_this_run_s_or_renewals_fail_for_a_ttl(monkeypatch):
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import dynamodb
    clock = Clock()
    record = locking.marked(locking.new_record("prod", ME, NOW, 30, "t-1", heartbeat_id="hb"), ME, NOW, "resume")
    seen = beating(monkeypatch, [dynamodb.HEARTBEAT_RENEWED, dynamodb.HEARTBEAT_LOST])
    assert runbook_lock.heartbeat_loop(None, TABLE, "prod", record, clock=clock.time, sleep=clock.sleep,
                                       alive=lambda pid, started: True) == "lost"
    assert len(seen) == 2 and not seen[0][3]  # a marked item never gets a purge_epoch
    seen = beating(monkeypatch, [dynamodb.HEARTBEAT_FAILED] * 100)
    assert runbook_lock.heartbeat_loop(None, TABLE, "prod", record, clock=clock.time, sleep=clock.sleep,
                                       alive=lambda pid, started: True) == "failing"
    assert 30 <= seen[-1][0] - seen[0][0] + 10 <= 36  # gave up once a whole TTL passed without a renewal


def test_no_heartbeat_without_an_ansible_playbook_process_to_watch():
    assert runbook_lock.start_heartbeat(None, TABLE, "prod", dict(ME, pid=None, heartbeat_id="hb")) is False


# -- unfinished runs, in the module ----------------------------------------------------------------------------------------
def test_an_acquire_refused_for_an_unfinished_drill_writes_nothing_and_says_how_to_finish_or_abandon_it(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    drill = dict(ME, host="ctl-2", runbook="failover_drill", run_id="drill-prod-1")
    get(ddb, locking.mark_only(locking.marked(locking.new_record("prod", drill, NOW - 600, 3600, "t-d"), drill, NOW - 600, "RESUME"), "t-m"))
    failed, result = lock_module.run(runbook_lock, dict(ARGS, abandon_command="release_lock -e lock_abandon=<run_id>"))
    lock_module.verify()
    assert failed and (result["outcome"], result["reason"]) == ("refused", "unfinished") and lock_module.heartbeats == []
    assert "Finish it by running it again: RESUME. " in result["msg"]
    assert result["msg"].endswith("abandon it: release_lock -e lock_abandon=drill-prod-1.")


def test_an_unfinished_run_s_release_keeps_its_mark_without_a_holder(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    run = dict(ME, runbook="failover", run_id="deploy-prod-1")
    before = locking.marked(locking.new_record("prod", run, NOW - 60, 3600, "t-mine", heartbeat_id="hb"), run, NOW - 60, "RESUME")
    get(ddb, before)
    left = {"lock_id": "prod", "token": "t-new", "unfinished": before["unfinished"]}
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(left), "ConditionExpression": "#token = :token",
                                      "ExpressionAttributeNames": {"#token": "token"},
                                      "ExpressionAttributeValues": {":token": {"S": "t-mine"}}})
    failed, result = lock_module.run(runbook_lock, {"state": "released", "environment": "prod", "table_name": TABLE, "region": REGION,
                                                    "holder_only": True, "run_id": "deploy-prod-1"})
    lock_module.verify()
    assert not failed and result["outcome"] == "released" and result["lock"] == left and result["unfinished"]["run_id"] == "deploy-prod-1"


class FakeConfigMaps(object):
    """The progress record's ConfigMap (module_utils/_k8s/configmaps.py), in memory."""
    written = []

    def __init__(self, module, api, namespace):
        self.namespace = namespace

    def read(self, name):
        return None

    def write(self, name, record, existing):
        FakeConfigMaps.written.append((self.namespace, name, record))


def test_the_mark_and_the_runs_first_record_are_written_by_one_process(lock_module, monkeypatch):
    from botocore.stub import ANY
    FakeConfigMaps.written = []
    monkeypatch.setattr(runbook_lock, "ConfigMaps", FakeConfigMaps)
    monkeypatch.setattr(runbook_lock.k8s_retry, "module_api_client", lambda module, kubeconfig, context: "api")
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": ANY, "ConditionExpression": ANY,
                                      "ExpressionAttributeNames": ANY})
    record = {"run_id": "drill-prod-1", "outcome": "in_progress", "phase": "started"}
    failed, result = lock_module.run(runbook_lock, dict(ARGS, runbook="failover_drill", run_id="drill-prod-1", mark_unfinished=True,
                                                        resume_command="RESUME", record={"namespace": "shop", "name": "cloudops-failover-drill",
                                                                                         "data": record}))
    lock_module.verify()
    assert not failed, result.get("msg")
    assert result["unfinished"]["run_id"] == "drill-prod-1" and result["unfinished"]["resume"] == "RESUME"
    assert FakeConfigMaps.written == [("shop", "cloudops-failover-drill", record)]
    assert (result["record"], result["written"], result["record_changed"]) == (record, "shop/cloudops-failover-drill", True)


def test_check_mode_predicts_the_first_record_without_writing_it(lock_module, monkeypatch):
    FakeConfigMaps.written = []
    monkeypatch.setattr(runbook_lock, "ConfigMaps", FakeConfigMaps)
    monkeypatch.setattr(runbook_lock.k8s_retry, "module_api_client", lambda module, kubeconfig, context: "api")
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    record = {"run_id": "drill-prod-1", "outcome": "in_progress"}
    failed, result = lock_module.run(runbook_lock, dict(ARGS, runbook="failover_drill", run_id="drill-prod-1", mark_unfinished=True,
                                                        record={"namespace": "shop", "name": "cloudops-failover-drill", "data": record},
                                                        _ansible_check_mode=True))
    lock_module.verify()
    assert not failed and FakeConfigMaps.written == [] and result["record"] == record and result["record_changed"] is True
