# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drill marker rows in PostgreSQL with psycopg 3: write them (each its own committed transaction), read a run's
rows, purge them. The SQL and the decisions are in module_utils/drill.py; connections come from _db/connect.py
(open_connection: read-only, REPEATABLE READ), and the writing functions switch theirs to read-write themselves.
"""

from __future__ import annotations

import time

try:
    import psycopg
    from psycopg import sql
except ImportError:
    pass  # the module checks postgres.HAS_PSYCOPG first

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres


class MarkerFailed(Exception):
    """A statement failed; the message says which step and what the server said."""


def _compose(template, schema, name):
    return sql.SQL(template).format(table=sql.Identifier(schema, name))


def _in_recovery(cur):
    cur.execute(database.SERVER_SQL)
    return bool(cur.fetchone()[1])


def standby_refusal(what):
    return MarkerFailed("the server is a read-only standby (pg_is_in_recovery): %s on the primary (or on a promoted "
                        "replica); replicas receive the rows from it" % what)


def _fail(step, error):
    if isinstance(error, psycopg.errors.ReadOnlySqlTransaction):
        return MarkerFailed("%s: the server is read-only (a standby, or default_transaction_read_only): write markers on "
                            "the primary. Server said: %s" % (step, postgres._server_said(error)))
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return MarkerFailed("%s: the login user lacks the privilege (it needs CREATE on the schema the first time, then "
                            "SELECT, INSERT and DELETE on the table). Server said: %s" % (step, postgres._server_said(error)))
    return MarkerFailed("%s failed: %s" % (step, postgres._server_said(error)))


def _table_exists(cur, schema, name):
    cur.execute(drill.EXISTS_SQL, (drill.qualified_name(schema, name),))
    return bool(cur.fetchone()[0])


def _pin_session(cur):
    for setting, value in database.SESSION_SETTINGS:
        cur.execute(database.SET_CONFIG_SQL, (setting, value))


def read(conn, schema, name, run_id):
    """The run's rows in one read-only transaction (works on a standby).

    Returns {in_recovery, table_exists, present: [(seq, written_at datetime)]}.
    """
    step = "starting a read-only transaction"
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                _pin_session(cur)
                step = "reading the server state"
                in_recovery = _in_recovery(cur)
                step = "looking for table %s.%s" % (schema, name)
                exists = _table_exists(cur, schema, name)
                present = []
                if exists:
                    step = "reading the markers of run %s" % run_id
                    cur.execute(_compose(drill.PRESENT_SQL, schema, name), (run_id,))
                    present = [(int(seq), when) for seq, when in cur.fetchall()]
    except psycopg.Error as e:
        raise _fail(step, e) from None
    return {"in_recovery": in_recovery, "table_exists": exists, "present": present}


def _scalar(conn, schema, name, template, run_id, what):
    """(in_recovery, the value of a one-number query about the run, or 0 when the table does not exist), read in a
    read-only transaction."""
    step = "starting a read-only transaction"
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                in_recovery = _in_recovery(cur)
                step = "looking for table %s.%s" % (schema, name)
                value = 0
                if _table_exists(cur, schema, name):
                    step = "%s of run %s" % (what, run_id)
                    cur.execute(_compose(template, schema, name), (run_id,))
                    value = int(cur.fetchone()[0])
    except psycopg.Error as e:
        raise _fail(step, e) from None
    return in_recovery, value


def highest_seq(conn, schema, name, run_id):
    """(in_recovery, the run's highest seq or 0): what a check-mode write predicts from."""
    return _scalar(conn, schema, name, drill.NEXT_SEQ_SQL, run_id, "reading the highest marker")


def count(conn, schema, name, run_id):
    """(in_recovery, the number of the run's rows): what a check-mode purge predicts."""
    return _scalar(conn, schema, name, drill.COUNT_SQL, run_id, "counting the markers")


def _refuse_standby(conn, what):
    """Raise MarkerFailed on a standby (checked in a read-only transaction: a standby refuses read-write ones)."""
    with conn.transaction():
        with conn.cursor() as cur:
            if _in_recovery(cur):
                raise standby_refusal(what)


def _writable(conn):
    """Switch an idle connection from open_connection (read-only, REPEATABLE READ) to read-write, READ COMMITTED."""
    conn.read_only = False
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED


def write(conn, schema, name, run_id, rows, spread_seconds=0, sleep=time.sleep, clock=time.monotonic, after_each=None):
    """Create the table if needed, then insert rows markers, each in its own committed transaction, numbered after the
    run's highest, evenly over spread_seconds (drill_markers.marker_offsets: the first at once, the last spread_seconds
    after it) on this one connection; after_each(seq, written_at), when given, is called after each commit (the same
    marker in the cache and the buckets). Returns [(seq, written_at datetime)] in order. A failure after some commits
    raises MarkerFailed with .written holding the rows already committed."""
    written = []
    offsets = drill_markers.marker_offsets(rows, spread_seconds)
    step = "checking the server state"
    try:
        _refuse_standby(conn, "write markers")
        _writable(conn)
        with conn.transaction():
            with conn.cursor() as cur:
                step = "creating table %s.%s" % (schema, name)
                cur.execute(_compose(drill.CREATE_SQL, schema, name))
        with conn.transaction():
            with conn.cursor() as cur:
                step = "reading the highest marker of run %s" % run_id
                cur.execute(_compose(drill.NEXT_SEQ_SQL, schema, name), (run_id,))
                seqs = drill.planned_seqs(cur.fetchone()[0], rows)
        insert = _compose(drill.INSERT_SQL, schema, name)
        started = None
        for seq, offset in zip(seqs, offsets):
            if started is None:
                started = clock()
            else:
                wait = started + offset - clock()
                if wait > 0:
                    sleep(wait)
            step = "writing marker %d of run %s" % (seq, run_id)
            with conn.transaction():
                with conn.cursor() as cur:
                    cur.execute(insert, (seq, run_id))
                    written.append(tuple(cur.fetchone()))
            if after_each is not None:
                after_each(*written[-1])
    except psycopg.Error as e:
        failure = _fail(step, e)
        failure.written = written
        raise failure from None
    except MarkerFailed as e:
        e.written = written
        raise
    return written


def purge(conn, schema, name, run_id):
    """Delete the run's rows (the table and other runs' rows stay). Returns the number of rows deleted."""
    step = "checking the server state"
    try:
        _refuse_standby(conn, "purge markers")
        _writable(conn)
        with conn.transaction():
            with conn.cursor() as cur:
                step = "looking for table %s.%s" % (schema, name)
                if not _table_exists(cur, schema, name):
                    return 0
                step = "deleting the markers of run %s" % run_id
                cur.execute(_compose(drill.PURGE_SQL, schema, name), (run_id,))
                return cur.rowcount
    except psycopg.Error as e:
        raise _fail(step, e) from None
