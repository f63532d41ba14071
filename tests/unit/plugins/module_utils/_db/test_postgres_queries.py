# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""postgres.compose and run_queries (rds_data_verify's reads) with a fake connection."""

from __future__ import annotations

import contextlib

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres

pytestmark = pytest.mark.skipif(not postgres.HAS_PSYCOPG, reason="psycopg is in tests/unit/requirements.txt")


def test_compose_quotes_identifiers_and_passes_user_sql_as_is():
    plans = data_checks.plan_checks([{"name": "n", "newest": {"table": "t", "column": "created at", "min_value": 1}, "row_count": None,
                                      "checksum": None, "sql": None, "expect": None}])
    plans[0]["query"]["identifiers"]["table"] = ('odd"schema', "t; DROP")
    assert postgres.compose(plans[0]["query"]).as_string() == 'SELECT max("created at") FROM "odd""schema"."t; DROP"'
    assert postgres.compose({"raw": "SELECT 1"}) == "SELECT 1"


class FakeCursor(object):
    def __init__(self, conn):
        self.conn = conn
        self.description = None
        self._rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, query, params=None, prepare=None):
        text = query if isinstance(query, str) else query.as_string()
        self.conn.executed.append((text, params, prepare))
        if text in self.conn.errors:
            raise postgres.psycopg.errors.ReadOnlySqlTransaction(self.conn.errors[text])
        self._rows = self.conn.answers.get(text, [("15.4", False)] if "server_version" in text else [])
        self.description = [("col",)] if self._rows or text.startswith("SELECT") else None

    def fetchone(self):
        return self._rows[0]

    def fetchmany(self, size):
        return self._rows[:size]


class FakeConnection(object):
    broken = False
    closed = False

    def __init__(self, answers=None, errors=None):
        self.answers, self.errors = answers or {}, errors or {}
        self.executed, self.savepoints = [], 0

    @contextlib.contextmanager
    def transaction(self):
        self.savepoints += 1
        yield

    def cursor(self):
        return FakeCursor(self)


def test_run_queries_pins_the_session_and_isolates_each_query():
    conn = FakeConnection(answers={"SELECT 1": [(1,)], "SELECT 2": [(2,)]},
                          errors={"SELECT bad()": "cannot execute INSERT in a read-only transaction"})
    read = postgres.run_queries(conn, [{"raw": "SELECT 1"}, {"raw": "SELECT bad()"}, {"raw": "SELECT 2"}], statement_timeout=30)
    assert read["outcomes"] == [{"rows": [(1,)]}, {"error": "cannot execute INSERT in a read-only transaction"}, {"rows": [(2,)]}]
    assert (read["server_version"], read["in_recovery"]) == ("15.4", False)
    settings = [params for text, params, dummy in conn.executed if params]
    assert ("TimeZone", "UTC") in settings and ("statement_timeout", "30s") in settings
    user_queries = [(text, prepare) for text, dummy, prepare in conn.executed if text.startswith("SELECT ") and "set_config" not in text
                    and "server_version" not in text]
    assert user_queries == [("SELECT 1", True), ("SELECT bad()", True), ("SELECT 2", True)]  # one prepared statement each
    assert conn.savepoints == 4  # the transaction, then one savepoint per query
