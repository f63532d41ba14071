# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_restore_login against a fake RDS client and a fake PostgreSQL login: the master password is set only on a
restored instance, only for its master user, only when the password itself is refused; check mode sets nothing."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.modules import rds_restore_login

WRONG = 'connection failed: FATAL:  password authentication failed for user "shop_admin"'


class Exited(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule(object):
    region = "us-east-1"

    def __init__(self, check_mode=False, **params):
        self.check_mode, self._diff = check_mode, False
        self.params = dict(instance_id="shop-db-restore-1", set_master_password=True, only_if_restored=True, wait_timeout=5,
                           login_db=None, login_user=None, login_password=None, login_secret_id="shop/db/master",
                           login_host="127.0.0.1", port=None, ssl_mode="disable", ca_cert=None, connect_timeout=2)
        self.params.update(params)

    def fail_json(self, **result):
        raise Exited(True, result)

    def exit_json(self, **result):
        raise Exited(False, result)


class FakeRds(object):
    def __init__(self, tags=None, master="shop_admin"):
        tags = {"cloudops:restored-from": "shop-db-20260131-020000"} if tags is None else tags
        self.instance = {"DBInstanceIdentifier": "shop-db-restore-1", "DBInstanceStatus": "available", "DBName": "shop",
                         "MasterUsername": master, "Endpoint": {"Address": "restore.example", "Port": 5432},
                         "TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}
        self.calls = []

    def describe_db_instances(self, DBInstanceIdentifier, aws_retry=False):
        return {"DBInstances": [self.instance]}

    def modify_db_instance(self, aws_retry=False, **params):
        self.calls.append(params)
        return {"DBInstance": self.instance}


def run(monkeypatch, module, conn, logins):
    """logins: what each login attempt does (an error text, or None for success)."""
    attempts = list(logins)

    def connect(settings, timeout):
        outcome = attempts.pop(0) if len(attempts) > 1 else attempts[0]
        if outcome is None:
            return object(), 1
        raise database.ConnectFailed(database.classify_connect_error(outcome), outcome, 1, 0.0)

    monkeypatch.setattr(rds_restore_login, "AnsibleAWSModule", lambda **kwargs: module)
    monkeypatch.setattr(rds_restore_login, "client", lambda module, service, **extra: conn)
    monkeypatch.setattr(rds_restore_login, "credentials", lambda module: ("shop_admin", "current-secret", "secret", "secret shop/db/master"))
    monkeypatch.setattr(rds_restore_login.postgres, "connect", connect)
    monkeypatch.setattr(rds_restore_login.postgres, "close", lambda conn: None)
    with pytest.raises(Exited) as done:
        rds_restore_login.main()
    return done.value


def test_credentials_that_log_in_change_nothing(monkeypatch):
    conn = FakeRds()
    outcome = run(monkeypatch, FakeModule(), conn, [None])
    assert not outcome.failed and outcome.result["changed"] is False and outcome.result["login"] == "ok"
    assert conn.calls == []


def test_a_refused_password_sets_the_master_password_from_the_credentials(monkeypatch):
    conn = FakeRds()
    outcome = run(monkeypatch, FakeModule(), conn, [WRONG, WRONG, None])
    assert not outcome.failed and outcome.result["changed"] and outcome.result["login"] == "password_set"
    assert conn.calls == [{"DBInstanceIdentifier": "shop-db-restore-1", "MasterUserPassword": "current-secret", "ApplyImmediately": True}]
    assert "current-secret" not in repr(outcome.result)


def test_check_mode_predicts_and_sets_nothing(monkeypatch):
    conn = FakeRds()
    outcome = run(monkeypatch, FakeModule(check_mode=True), conn, [WRONG])
    assert outcome.result["changed"] and outcome.result["login"] == "would_set_password" and conn.calls == []


@pytest.mark.parametrize("conn, module, says", [
    (FakeRds(tags={}), FakeModule(), "it has no cloudops:restored-from tag"),
    (FakeRds(master="postgres"), FakeModule(), "the credentials' user shop_admin is not its master user postgres"),
    (FakeRds(), FakeModule(set_master_password=False), "set_master_password is false"),
])
def test_refused_without_any_change(monkeypatch, conn, module, says):
    outcome = run(monkeypatch, module, conn, [WRONG])
    assert outcome.failed and says in outcome.result["msg"] and conn.calls == []
    assert "cannot log in to shop-db-restore-1" in outcome.result["msg"]


def test_a_login_refused_for_another_reason_is_not_a_password_to_set(monkeypatch):
    conn = FakeRds()
    outcome = run(monkeypatch, FakeModule(), conn, ['FATAL:  no pg_hba.conf entry for host "10.0.0.1"'])
    assert outcome.failed and "authentication failure" in outcome.result["msg"] and conn.calls == []
