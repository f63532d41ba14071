# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres

pytestmark = pytest.mark.skipif(not postgres.HAS_PSYCOPG, reason="psycopg is in tests/unit/requirements.txt")


def test_table_query_quotes_identifiers():
    query = postgres.table_query('odd "schema"', "Order Items; DROP TABLE x", checksums=False)
    assert query.as_string() == 'SELECT count(*), NULL FROM "odd ""schema"""."Order Items; DROP TABLE x" AS t'


def test_table_query_with_checksums():
    text = postgres.table_query("public", "orders", checksums=True).as_string()
    assert text.endswith(' FROM "public"."orders" AS t')
    assert "sha256(convert_to(ROW(t.*)::text, 'UTF8'))" in text


class FakeConnection:
    read_only = None
    isolation_level = None


def test_connect_retries_refused_then_returns_a_read_only_repeatable_read_connection(monkeypatch):
    settings = database.ConnectionSettings("127.0.0.1", 5432, "shop", "shop_admin", "pw-123", "disable")
    calls = []

    def fake_connect(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise postgres.psycopg.OperationalError("connection failed: Connection refused (password pw-123)")
        return FakeConnection()

    monkeypatch.setattr(postgres.psycopg, "connect", fake_connect)
    slept = []
    conn, attempts = postgres.connect(settings, 30, sleep=slept.append)
    assert attempts == 3 and len(slept) == 2
    assert conn.read_only is True
    assert conn.isolation_level == postgres.psycopg.IsolationLevel.REPEATABLE_READ
    assert calls[0]["password"] == "pw-123"


def test_connect_failure_text_has_no_password(monkeypatch):
    settings = database.ConnectionSettings("127.0.0.1", 5432, "shop", "shop_admin", "pw-123", "disable")

    def fake_connect(**kwargs):
        raise postgres.psycopg.OperationalError('FATAL:  password authentication failed for user "shop_admin" pw-123')

    monkeypatch.setattr(postgres.psycopg, "connect", fake_connect)
    with pytest.raises(database.ConnectFailed) as failure:
        postgres.connect(settings, 30, sleep=lambda seconds: None)
    assert failure.value.kind == "auth"
    assert "pw-123" not in failure.value.last_error
