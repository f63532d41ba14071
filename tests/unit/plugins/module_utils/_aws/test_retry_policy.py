# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one AWS retry policy (_aws/common.py): which failures are retried, botocore's own retries off,
and apply(): a mutating call whose response may be lost is re-sent only after applied() says it is not in place."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(common.time, "sleep", slept.append)
    return slept


def client_error(code, status=400):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code},
                                            "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


RESET = botocore.exceptions.ConnectionClosedError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
READ_TIMEOUT = botocore.exceptions.ReadTimeoutError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
NO_ROUTE = botocore.exceptions.EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
CONNECT_TIMEOUT = botocore.exceptions.ConnectTimeoutError(endpoint_url="https://rds.us-east-1.amazonaws.com/")


@pytest.mark.parametrize("error, kind", [
    (client_error("Throttling"), common.THROTTLED),
    (client_error("ThrottlingException"), common.THROTTLED),
    (client_error("TooManyRequestsException", 429), common.THROTTLED),
    (client_error("RequestLimitExceeded", 503), common.THROTTLED),
    (client_error("PriorRequestNotComplete"), common.THROTTLED),
    (client_error("InternalFailure", 500), common.SERVER_ERROR),
    (client_error("ServiceUnavailable", 503), common.SERVER_ERROR),
    (client_error("ServerException", 500), common.SERVER_ERROR),
    (client_error("Whatever", 502), common.SERVER_ERROR),
    (NO_ROUTE, common.NOT_SENT),
    (CONNECT_TIMEOUT, common.NOT_SENT),
    (RESET, common.LOST),
    (READ_TIMEOUT, common.LOST),
    (botocore.exceptions.IncompleteReadError(actual_bytes=1, expected_bytes=2), common.LOST),
    (client_error("DBInstanceNotFound", 404), None),
    (client_error("AccessDenied", 403), None),
    (client_error("InvalidDBInstanceState"), None),
    (client_error("LimitExceededException"), None),  # a quota, not throttling
    (botocore.exceptions.NoCredentialsError(), None),
])
def test_which_failures_are_transient(error, kind):
    assert common.classify(error) == kind


class Calls(object):
    """A callable failing with the given errors in turn, then answering; counts its calls."""

    def __init__(self, *errors, answer=None, name="describe_db_instances"):
        self.errors, self.answer, self.calls, self.__name__ = list(errors), answer or {"ok": True}, 0, name

    def __call__(self, **params):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return dict(self.answer, params=params)


def test_a_read_is_retried_on_throttling_5xx_and_every_network_error_with_one_budget(no_sleep):
    read = Calls(client_error("Throttling"), client_error("InternalFailure", 500), NO_ROUTE, RESET, READ_TIMEOUT)
    assert common.CloudopsRetry.policy()(read)(DBInstanceIdentifier="shop-db")["ok"]
    assert read.calls == 6 and len(no_sleep) == 5
    assert all(0 <= delay <= common.MAX_DELAY for delay in no_sleep)
    # The same budget for every kind: RETRIES attempts in all, then the last error is raised.
    endless = Calls(*([RESET] * common.RETRIES))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        common.CloudopsRetry.policy()(endless)()
    assert endless.calls == common.RETRIES
    endless = Calls(*([client_error("Throttling")] * common.RETRIES))
    with pytest.raises(botocore.exceptions.ClientError):
        common.CloudopsRetry.policy()(endless)()
    assert endless.calls == common.RETRIES


def test_waits_are_jittered_exponential_and_capped():
    delays = iter(common.BackoffIterator(delay=common.DELAY, backoff=common.BACKOFF, max_delay=common.MAX_DELAY, jitter=False))
    assert [next(delays) for dummy in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_what_is_not_transient_is_raised_at_once():
    for error in (client_error("DBInstanceNotFound", 404), client_error("AccessDenied", 403)):
        call = Calls(error)
        with pytest.raises(botocore.exceptions.ClientError):
            common.CloudopsRetry.policy()(call)()
        assert call.calls == 1


def test_a_mutating_call_is_never_re_sent_blindly_after_a_lost_response():
    # Outside apply(): throttling and could-not-connect are retried (not applied), a lost response is raised.
    write = Calls(client_error("Throttling"), NO_ROUTE, answer={"DBInstance": {}}, name="promote_read_replica")
    common.CloudopsRetry.policy()(write)(DBInstanceIdentifier="shop-db-dr")
    assert write.calls == 3
    write = Calls(RESET, name="promote_read_replica")
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        common.CloudopsRetry.policy()(write)(DBInstanceIdentifier="shop-db-dr")
    assert write.calls == 1


def test_the_client_wrapper_follows_the_policy_per_operation():
    class Raw(object):
        def __init__(self):
            self.describe_db_instances = Calls(RESET, RESET)
            self.delete_db_instance = Calls(RESET, name="delete_db_instance")

    conn = RetryingBotoClientWrapper(Raw(), common.CloudopsRetry.policy())
    assert conn.describe_db_instances(aws_retry=True)["ok"]
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        conn.delete_db_instance(DBInstanceIdentifier="x", aws_retry=True)


def test_apply_consults_applied_before_re_sending_after_a_lost_response():
    state = {"applied": False}

    def lost_after_applying(**params):
        state["applied"] = True
        raise RESET

    asked = []

    def applied():
        asked.append(state["applied"])
        return {"DBInstance": {"DBInstanceStatus": "modifying"}} if state["applied"] else None

    send = Calls()
    answer = common.apply(lambda **params: (send(**params), lost_after_applying(**params)), {"DBInstanceIdentifier": "x"}, applied)
    assert answer == {"DBInstance": {"DBInstanceStatus": "modifying"}}
    assert send.calls == 1 and asked == [True]  # sent once; the describe found it in place


def test_apply_re_sends_when_the_change_is_not_in_place():
    send = Calls(RESET, client_error("InternalFailure", 500), answer={"Listeners": ["new"]}, name="modify_listener")
    asked = []
    assert common.apply(send, {"ListenerArn": "arn"}, lambda: asked.append(1))["Listeners"] == ["new"]
    assert send.calls == 3 and len(asked) == 2  # a describe before each re-send


def test_apply_does_not_ask_when_the_request_cannot_have_been_applied():
    send = Calls(client_error("Throttling"), NO_ROUTE, CONNECT_TIMEOUT, answer={"ChangeInfo": {"Id": "/change/C1"}})
    asked = []
    assert common.apply(send, {}, lambda: asked.append(1))["ChangeInfo"]["Id"] == "/change/C1"
    assert send.calls == 4 and asked == []


def test_apply_reads_again_when_a_re_sent_request_is_refused():
    # The lost CreateDBSnapshot is still being applied: the describe missed it, the re-send says it exists.
    send = Calls(RESET, client_error("DBSnapshotAlreadyExists"), name="create_db_snapshot")
    answers = iter([None, {"DBSnapshot": {"DBSnapshotIdentifier": "s1", "Status": "creating"}}])
    assert common.apply(send, {}, lambda: next(answers))["DBSnapshot"]["DBSnapshotIdentifier"] == "s1"
    # A refusal of a first attempt (nothing was lost) is raised as it is, without a describe.
    send = Calls(client_error("DBSnapshotAlreadyExists"))
    with pytest.raises(botocore.exceptions.ClientError):
        common.apply(send, {}, lambda: pytest.fail("applied() asked without a lost response"))


def test_apply_gives_up_after_the_budget_but_not_before_a_last_look():
    send = Calls(*([RESET] * common.RETRIES))
    looks = []
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        common.apply(send, {}, lambda: looks.append(1))
    assert send.calls == common.RETRIES and len(looks) == common.RETRIES
    send = Calls(*([RESET] * common.RETRIES))
    looks = iter([None] * (common.RETRIES - 1) + [{"done": True}])
    assert common.apply(send, {}, lambda: next(looks)) == {"done": True}


def test_botocore_retries_are_off_whatever_the_caller_configures():
    config = common.client_config({"retries": {"max_attempts": 8, "mode": "legacy"}, "read_timeout": 30},
                                  botocore.config.Config(connect_timeout=5))
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert (config.read_timeout, config.connect_timeout) == (30, 5)


def test_client_passes_the_policy_and_the_config_to_module_client():
    class Module(object):
        params = {"aws_config": {"read_timeout": 20, "retries": {"max_attempts": 3}}}

        def client(self, service, retry_decorator=None, **extra):
            self.seen = (service, retry_decorator, extra)
            return "conn"

    module = Module()
    assert common.client(module, "rds", region="us-west-2") == "conn"
    service, decorator, extra = module.seen
    assert service == "rds" and extra["region"] == "us-west-2"
    assert extra["aws_config"].retries == {"total_max_attempts": 1, "mode": "standard"}
    assert extra["aws_config"].read_timeout == 20
    assert decorator is not None and issubclass(common.CloudopsRetry, AWSRetry)
