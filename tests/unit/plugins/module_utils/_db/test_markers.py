# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_db.markers with a fake connection: quoted identifiers, one committed transaction per marker, standby refusals."""

from __future__ import annotations

import contextlib
import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres

pytestmark = pytest.mark.skipif(not postgres.HAS_PSYCOPG, reason="psycopg is in tests/unit/requirements.txt")

T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)


class FakeCursor(object):
    def __init__(self, conn):
        self.conn, self.rowcount, self._rows = conn, 0, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, query, params=None):
        text = query if isinstance(query, str) else query.as_string()
        self.conn.log.append(("sql", text, params))
        if text == database.SERVER_SQL:
            self._rows = [("15.4", self.conn.standby)]
        elif text.startswith("SELECT to_regclass"):
            self._rows = [(self.conn.table,)]
        elif text.startswith("SELECT coalesce(max(seq)"):
            self._rows = [(self.conn.highest,)]
        elif text.startswith("INSERT"):
            seq = params[0]
            self._rows = [(seq, T0 + datetime.timedelta(seconds=seq))]
        elif text.startswith("DELETE"):
            self.rowcount = 4
        else:
            self._rows = []

    def fetchone(self):
        return self._rows[0]


class FakeConnection(object):
    read_only = True
    isolation_level = None

    def __init__(self, standby=False, table=True, highest=0):
        self.standby, self.table, self.highest, self.log = standby, table, highest, []

    @contextlib.contextmanager
    def transaction(self):
        self.log.append(("begin", self.read_only))
        yield
        self.log.append(("commit",))

    def cursor(self):
        return FakeCursor(self)


def test_identifiers_are_quoted_never_pasted():
    assert markers._compose("DELETE FROM {table}", 'odd"schema', "t; DROP").as_string() == 'DELETE FROM "odd""schema"."t; DROP"'


def test_each_marker_is_its_own_committed_transaction_numbered_after_the_highest():
    conn = FakeConnection(highest=4)
    written = markers.write(conn, "public", "cloudops_drill_markers", "run-1", 3)
    assert written == [(5, T0 + datetime.timedelta(seconds=5)), (6, T0 + datetime.timedelta(seconds=6)),
                       (7, T0 + datetime.timedelta(seconds=7))]
    inserts = [entry for entry in conn.log if entry[0] == "sql" and entry[1].startswith("INSERT")]
    assert [params for dummy, dummy2, params in inserts] == [(5, "run-1"), (6, "run-1"), (7, "run-1")]
    # The standby check runs read-only, the rest read-write; every insert is followed by its commit.
    assert conn.log[0] == ("begin", True) and conn.read_only is False
    for index, entry in enumerate(conn.log):
        if entry in inserts:
            assert conn.log[index + 1] == ("commit",) and conn.log[index - 1] == ("begin", False)
    assert any(entry[1].startswith('CREATE TABLE IF NOT EXISTS "public"."cloudops_drill_markers"') for entry in conn.log if entry[0] == "sql")


def test_a_spread_write_paces_its_inserts_on_one_connection():
    conn, now, naps = FakeConnection(), [100.0], []

    def sleep(seconds):
        naps.append(round(seconds, 6))
        now[0] += seconds

    def clock():
        now[0] += 0.1  # each insert's round trip
        return now[0]

    written = markers.write(conn, "public", "m", "run-1", 4, spread_seconds=3, sleep=sleep, clock=clock)
    assert [seq for seq, dummy in written] == [1, 2, 3, 4]
    # Due at 0, 1, 2 and 3 s after the first insert; the time the clock moved meanwhile is not slept again.
    assert naps == [0.9, 0.9, 0.9]
    no_naps = []
    markers.write(FakeConnection(), "public", "m", "run-1", 3, sleep=no_naps.append, clock=clock)
    assert no_naps == []


def test_a_standby_refuses_writes_and_purges_before_any_statement():
    for call in (lambda conn: markers.write(conn, "public", "m", "run-1", 1), lambda conn: markers.purge(conn, "public", "m", "run-1")):
        conn = FakeConnection(standby=True)
        with pytest.raises(markers.MarkerFailed, match="read-only standby"):
            call(conn)
        assert [entry[1] for entry in conn.log if entry[0] == "sql"] == [database.SERVER_SQL] and conn.read_only is True


def test_purge_and_the_predictions_without_a_table():
    assert markers.purge(FakeConnection(), "public", "m", "run-1") == 4
    assert markers.purge(FakeConnection(table=False), "public", "m", "run-1") == 0
    assert markers.highest_seq(FakeConnection(highest=7), "public", "m", "run-1") == (False, 7)
    assert markers.highest_seq(FakeConnection(table=False, highest=7), "public", "m", "run-1") == (False, 0)
    assert markers.count(FakeConnection(standby=True, table=False), "public", "m", "run-1") == (True, 0)
