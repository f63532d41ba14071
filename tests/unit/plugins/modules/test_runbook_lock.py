# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""runbook_lock against a stubbed DynamoDB: the conditional writes, a lost race, a retried write that had landed,
check mode without writes, the missing table, releases by the holder only; outside check mode no read before a write
that its condition proves (an absent lock, or the record this run expects), and today's read when it fails.

A Stubber answers exactly the calls queued, in order, and fails on any other: a test that queues no get_item proves
the task made no GetItem."""

from __future__ import annotations

import pytest

pytest.importorskip("boto3")
from boto3.dynamodb.types import TypeSerializer  # noqa: E402

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.modules import runbook_lock  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_client  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import configmaps  # noqa: E402

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


def condition_failed(stub, operation):
    stub.add_client_error(operation, service_error_code="ConditionalCheckFailedException", http_status_code=400)


def exactly(record):
    """The condition of a write on an expected record: its token and heartbeat id."""
    return {"ConditionExpression": "#token = :token AND #hb = :hb", "ExpressionAttributeNames": {"#token": "token", "#hb": "heartbeat_id"},
            "ExpressionAttributeValues": {":token": {"S": record["token"]}, ":hb": {"S": record["heartbeat_id"]}}}


def test_a_free_lock_is_written_only_if_it_is_still_absent_without_a_read_first(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    expected = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="t-new")
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(expected), "ConditionExpression": "attribute_not_exists(#key)",
                                      "ExpressionAttributeNames": {"#key": "lock_id"}})
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_diff=True))
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "acquired" and result["holder_state"] == "absent"
    assert result["lock"]["pid"] == 4242 and result["lock"]["expires_at"] == "2026-01-31T13:00:00Z"
    assert result["previous"] is None  # assumed, and proven by the write's condition
    assert result["diff"]["before"] == {} and "token" not in result["diff"]["after"]
    assert result["heartbeat"] and lock_module.heartbeats == [expected]


def test_check_mode_reads_and_predicts_without_writing(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_check_mode=True))
    lock_module.verify()
    assert not failed and result["changed"] and result["outcome"] == "acquired" and result["lock"]["run_id"] == "deploy-prod-1"


def test_a_lock_another_run_holds_fails_the_write_then_is_read_and_refused_naming_the_holder(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    condition_failed(ddb, "put_item")  # written on the condition that no lock exists
    get(ddb, others())  # read back: not this write; decided again on it, not read twice
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert failed and result["outcome"] == "refused" and result["reason"] == "held" and lock_module.heartbeats == []
    assert result["previous"]["run_id"] == "backup-prod-1"
    assert result["msg"].startswith("deploy refused, nothing changed: another runbook holds the lock of environment prod "
                                    "(runbook backup, run backup-prod-1, user bob, host ctl-2 (pid 77)")
    assert result["msg"].endswith("release the lock: ansible-playbook playbooks/release_lock.yml -i INVENTORY -e lock_force=true")


def test_a_retried_write_that_had_landed_is_not_taken_for_a_lost_race(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    written = locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW, 3600, "t-new", heartbeat_id="t-new")
    condition_failed(ddb, "put_item")
    get(ddb, written)  # read back: this very write, its response lost
    failed, result = lock_module.run(runbook_lock, ARGS)
    lock_module.verify()
    assert not failed and result["outcome"] == "acquired" and result["changed"] and result["previous"] is None


@pytest.mark.parametrize("operation, check", [("put_item", False), ("get_item", True)])
def test_a_missing_table_says_how_to_create_it(lock_module, operation, check):
    ddb = lock_module.stub("dynamodb", REGION)
    ddb.add_client_error(operation, service_error_code="ResourceNotFoundException", http_status_code=400)
    failed, result = lock_module.run(runbook_lock, dict(ARGS, _ansible_check_mode=check))
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
    condition_failed(ddb, "put_item")  # assumed absent: it is this run's own (an acquire without expected)
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
    condition_failed(ddb, "put_item")
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
    # runbook_lock imports the ConfigMap helpers when it writes a record (the acquire and release never load kubernetes)
    monkeypatch.setattr(configmaps, "ConfigMaps", FakeConfigMaps)
    monkeypatch.setattr(k8s_client, "module_api_client", lambda module, kubeconfig, context: "api")
    ddb = lock_module.stub("dynamodb", REGION)
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
    # runbook_lock imports the ConfigMap helpers when it writes a record (the acquire and release never load kubernetes)
    monkeypatch.setattr(configmaps, "ConfigMaps", FakeConfigMaps)
    monkeypatch.setattr(k8s_client, "module_api_client", lambda module, kubeconfig, context: "api")
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, None)
    record = {"run_id": "drill-prod-1", "outcome": "in_progress"}
    failed, result = lock_module.run(runbook_lock, dict(ARGS, runbook="failover_drill", run_id="drill-prod-1", mark_unfinished=True,
                                                        record={"namespace": "shop", "name": "cloudops-failover-drill", "data": record},
                                                        _ansible_check_mode=True))
    lock_module.verify()
    assert not failed and FakeConfigMaps.written == [] and result["record"] == record and result["record_changed"] is True


class UnwritableConfigMaps(FakeConfigMaps):
    """A cluster that refuses the write (as ConfigMaps reports an API error: through the module's fail_json)."""

    def __init__(self, module, api, namespace):
        FakeConfigMaps.__init__(self, module, api, namespace)
        self.module = module

    def write(self, name, record, existing):
        self.module.fail_json(msg="writing ConfigMap %s/%s failed: 503 Service Unavailable" % (self.namespace, name))


def marked_drill():
    drill = dict(ME, runbook="failover_drill", run_id="drill-prod-1")
    return locking.marked(locking.new_record("prod", drill, NOW - 60, 3600, "t-mine", heartbeat_id="hb"), drill, NOW - 30, "RESUME")


LAST_RECORD = {"namespace": "shop", "name": "cloudops-failover-drill",
               "data": {"run_id": "drill-prod-1", "outcome": "completed", "phase": "failed_back"}}


def release_the_marked_drill(lock_module, monkeypatch, config_maps, operation):
    """The drill's release with its last record (config_maps: the cluster's ConfigMaps), the lock holding its mark:
    `operation` is the one write DynamoDB is to see (delete_item: the mark cleared; put_item: the mark kept)."""
    from botocore.stub import ANY
    monkeypatch.setattr(configmaps, "ConfigMaps", config_maps)
    monkeypatch.setattr(k8s_client, "module_api_client", lambda module, kubeconfig, context: "api")
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, marked_drill())
    params = {"TableName": TABLE, "ConditionExpression": ANY, "ExpressionAttributeNames": ANY, "ExpressionAttributeValues": ANY}
    ddb.add_response(operation, {}, dict(params, **({"Key": KEY} if operation == "delete_item" else {"Item": ANY})))
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, run_id="drill-prod-1", finished=True, record=LAST_RECORD))
    lock_module.verify()
    return failed, result


def test_the_release_writes_the_run_s_last_record_first_then_clears_its_mark(lock_module, monkeypatch):
    FakeConfigMaps.written = []
    failed, result = release_the_marked_drill(lock_module, monkeypatch, FakeConfigMaps, "delete_item")
    assert not failed, result.get("msg")
    assert FakeConfigMaps.written == [("shop", "cloudops-failover-drill", LAST_RECORD["data"])]
    assert (result["outcome"], result["lock"], result["record_changed"]) == ("released", None, True)


def test_a_last_record_that_cannot_be_written_releases_the_lock_keeping_the_mark_and_fails_saying_so(lock_module, monkeypatch):
    # the holder goes, the mark stays (a write, not a delete): other runbooks are refused until the drill is run again
    failed, result = release_the_marked_drill(lock_module, monkeypatch, UnwritableConfigMaps, "put_item")
    assert failed and result["outcome"] == "released"
    assert result["unfinished"]["run_id"] == "drill-prod-1" and result["unfinished"]["resume"] == "RESUME"
    assert "(ConfigMap shop/cloudops-failover-drill) could not be written: writing ConfigMap shop/cloudops-failover-drill " \
           "failed: 503 Service Unavailable" in result["msg"]
    assert "keeping this run's unfinished mark" in result["msg"] and "run the same runbook again" in result["msg"]


# -- writes on the record this run expects (no read first) -----------------------------------------------------------------
RELEASE = {"state": "released", "environment": "prod", "table_name": TABLE, "region": REGION, "holder_only": True,
           "run_id": "deploy-prod-1"}


def acquired():
    """The lock record an acquire returned to this run (its heartbeat id is fresh per write)."""
    return locking.new_record("prod", dict(ME, runbook="deploy", run_id="deploy-prod-1"), NOW - 60, 3600, "t-mine", heartbeat_id="hb-1")


def test_the_mark_writes_on_the_acquire_s_record_without_a_read(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    before = acquired()
    me = dict(ME, runbook="deploy", run_id="deploy-prod-1")
    after = locking.marked(locking.new_record("prod", me, NOW, 3600, "t-new", previous=before, heartbeat_id="t-new"), me, NOW, "RESUME")
    ddb.add_response("put_item", {}, dict({"TableName": TABLE, "Item": item(after)}, **exactly(before)))
    failed, result = lock_module.run(runbook_lock, dict(ARGS, mark_unfinished=True, resume_command="RESUME", expected=before,
                                                        _ansible_diff=True))
    lock_module.verify()
    assert not failed and result["outcome"] == "renewed" and result["holder_state"] == "mine" and result["changed"]
    assert result["lock"] == after and result["lock"]["token"] == "t-mine" and result["unfinished"]["resume"] == "RESUME"
    assert result["previous"] == before and result["diff"]["before"] == runbook_lock.without_token(before)
    assert lock_module.heartbeats == [after]


@pytest.mark.parametrize("finished", [True, False])
def test_the_release_deletes_or_keeps_the_mark_on_the_expected_record_without_a_read(lock_module, finished):
    ddb = lock_module.stub("dynamodb", REGION)
    me = dict(ME, runbook="failover_drill", run_id="deploy-prod-1")
    marked = locking.marked(acquired(), me, NOW - 50, "RESUME")
    if finished:
        ddb.add_response("delete_item", {}, dict({"TableName": TABLE, "Key": KEY}, **exactly(marked)))
    else:
        left = {"lock_id": "prod", "token": "t-new", "unfinished": marked["unfinished"]}
        ddb.add_response("put_item", {}, dict({"TableName": TABLE, "Item": item(left)}, **exactly(marked)))
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, finished=finished, expected=marked))
    lock_module.verify()
    assert not failed and result["outcome"] == "released" and result["previous"] == marked
    assert result["unfinished"] == (None if finished else marked["unfinished"])


def test_a_release_on_an_expected_record_another_run_took_over_is_read_and_left_as_today(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    condition_failed(ddb, "delete_item")
    get(ddb, others())  # read back once: another run's; decided on, not read again
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, expected=acquired()))
    lock_module.verify()
    assert not failed and not result["changed"] and result["outcome"] == "left" and result["holder_state"] == "held"
    assert result["lock"]["run_id"] == "backup-prod-1" and result["previous"]["run_id"] == "backup-prod-1"
    assert result["message"].startswith("the lock is no longer this run's (runbook backup, run backup-prod-1")


def test_an_explicit_release_on_a_stale_expected_record_is_refused_as_today(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    condition_failed(ddb, "delete_item")
    get(ddb, others())
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, holder_only=False, expected=acquired()))
    lock_module.verify()
    assert failed and (result["outcome"], result["reason"]) == ("refused", "held")
    assert result["msg"].startswith("Lock of environment prod not released, nothing changed: it is held by a running runbook "
                                    "(runbook backup, run backup-prod-1, user bob, host ctl-2 (pid 77)")


def test_an_older_record_of_this_run_fails_the_condition_and_the_mark_it_lacks_is_kept(lock_module):
    """The acquire's record passed after the mark: same token, another heartbeat id. Deleting on the token alone would
    drop the mark; the condition on the heartbeat id fails, the item is read, and the release keeps the mark."""
    ddb = lock_module.stub("dynamodb", REGION)
    me = dict(ME, runbook="deploy", run_id="deploy-prod-1")
    marked = locking.marked(dict(acquired(), heartbeat_id="hb-2"), me, NOW - 50, "RESUME")
    condition_failed(ddb, "delete_item")
    get(ddb, marked)
    left = {"lock_id": "prod", "token": "t-new", "unfinished": marked["unfinished"]}
    ddb.add_response("put_item", {}, {"TableName": TABLE, "Item": item(left), "ConditionExpression": "#token = :token",
                                      "ExpressionAttributeNames": {"#token": "token"},
                                      "ExpressionAttributeValues": {":token": {"S": "t-mine"}}})
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, expected=acquired()))
    lock_module.verify()
    assert not failed and result["outcome"] == "released" and result["lock"] == left and result["previous"] == marked


def test_an_expected_record_that_is_not_this_run_s_is_read_before_anything_is_decided(lock_module):
    """Another run's lock, expired as expected: its staleness rests on an expiry its heartbeat moves without changing its
    token, so no write is made on it unread. Read: renewed meanwhile, so held, and the release is refused."""
    ddb = lock_module.stub("dynamodb", REGION)
    expired = dict(others(), expires_epoch=NOW - 5)
    get(ddb, others())
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, holder_only=False, expected=expired))
    lock_module.verify()
    assert failed and (result["outcome"], result["reason"]) == ("refused", "held")


def test_a_release_with_nothing_to_do_on_the_expected_record_reads_before_it_says_so(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    mark_left = {"lock_id": "prod", "token": "t-m", "unfinished": {"runbook": "failover", "run_id": "f-1", "since": "2026-01-31T11:00:00Z"}}
    get(ddb, None)
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, expected=mark_left))
    lock_module.verify()
    assert not failed and result["outcome"] == "none" and result["previous"] is None


def test_check_mode_reads_even_with_an_expected_record(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, acquired())
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, expected=acquired(), _ansible_check_mode=True))
    lock_module.verify()
    assert not failed and result["outcome"] == "released" and result["previous"] == acquired()


def test_a_lost_race_after_a_read_decides_on_the_item_read_back_without_reading_it_twice(lock_module):
    ddb = lock_module.stub("dynamodb", REGION)
    get(ddb, acquired())  # no expected: a release reads first
    condition_failed(ddb, "delete_item")
    get(ddb, others())
    failed, result = lock_module.run(runbook_lock, RELEASE)
    lock_module.verify()
    assert not failed and result["outcome"] == "left"


@pytest.mark.parametrize("expected, what", [({"lock_id": "staging", "token": "t"}, "'staging' and a token"),
                                            ({"lock_id": "prod"}, "'prod' and no token")])
def test_an_expected_record_of_another_environment_or_without_a_token_says_what_to_pass(lock_module, expected, what):
    lock_module.stub("dynamodb", REGION)
    failed, result = lock_module.run(runbook_lock, dict(RELEASE, expected=expected))
    lock_module.verify()
    assert failed and result["msg"] == (
        "expected must be the lock record this module returned to this run for environment prod (its result's `lock`, with "
        "lock_id prod and its token); got one with lock_id %s. Pass the `lock` of this run's last runbook_lock task, or "
        "leave expected out (the lock is then read)." % what)


def test_the_lock_alone_does_not_load_the_kubernetes_client():
    # A fresh interpreter: this test session has imported kubernetes already. The acquire, heartbeat and release of
    # every runbook run this module; only a mark with a record needs the ConfigMap helpers.
    import os
    import subprocess
    import sys
    code = ("import sys; import ansible_collections.cloudops.runbooks.plugins.modules.runbook_lock; "
            "print('kubernetes' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))  # where this session finds the collection
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
