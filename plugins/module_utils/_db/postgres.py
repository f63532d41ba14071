# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL I/O with psycopg 3: connect (polling until connect_timeout) and read-only reads.

Decisions (what to retry, the SQL, the fingerprint) are in module_utils/database.py; this file only talks to the
server. Modules check HAS_PSYCOPG and fail with missing_required_lib("psycopg") before calling anything here.
"""

from __future__ import annotations

import time
import traceback

try:
    import psycopg
    from psycopg import sql
except ImportError:
    HAS_PSYCOPG = False
    PSYCOPG_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PSYCOPG = True
    PSYCOPG_IMPORT_ERROR = None

from ansible_collections.cloudops.runbooks.plugins.module_utils import database


def connect(settings, timeout, clock=time.monotonic, sleep=time.sleep):
    """An open connection (not autocommit, read-only) to settings (database.ConnectionSettings).

    Retries what database.classify_connect_error calls transient, with growing pauses, for at most timeout
    seconds. Raises database.ConnectFailed (its text is free of the password).
    """
    def attempt(attempt_timeout):
        try:
            conn = psycopg.connect(**settings.connect_kwargs(attempt_timeout))
        except psycopg.Error as e:
            raise database.AttemptFailed(settings.scrub(e)) from None
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        return conn

    return database.wait_for_connection(attempt, timeout, clock, sleep)


def table_query(schema, name, checksums):
    """The composed per-table query: the identifiers are quoted by psycopg, never pasted as text."""
    return sql.SQL(database.table_query_template(checksums)).format(table=sql.Identifier(schema, name))


class ReadFailed(Exception):
    """A read failed; the message says which statement and what the server said."""


def _server_said(error):
    """The server's own message of an error, without the statement excerpt psycopg appends."""
    primary = getattr(getattr(error, "diag", None), "message_primary", None)
    return primary or (str(error).strip().splitlines() or [""])[0]


def read_fingerprint(conn, schemas, wanted=None, checksums=True):
    """Server facts and per-table counts/checksums, all in one read-only REPEATABLE READ transaction (one snapshot).

    schemas: schemas whose base tables to read when wanted is None.
    wanted: (schema, name) pairs to read instead; each must exist.
    Returns {server_version, in_recovery, tables: [{schema, name, rows, checksum}]}.
    """
    step = "starting a read-only transaction"
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                step = "setting the session's output formats"
                for name, value in database.SESSION_SETTINGS:
                    cur.execute(database.SET_CONFIG_SQL, (name, value))
                step = "reading the server version"
                cur.execute(database.SERVER_SQL)
                version, in_recovery = cur.fetchone()
                step = "listing tables"
                look_in = sorted(set(schema for schema, dummy in wanted)) if wanted is not None else list(schemas)
                cur.execute(database.TABLES_SQL, (look_in,))
                tables = database.select_tables(cur.fetchall(), wanted)
                results = []
                for schema, name in tables:
                    step = "reading table %s.%s" % (schema, name)
                    cur.execute(table_query(schema, name, checksums))
                    rows, row_hash_sum = cur.fetchone()
                    results.append({"schema": schema, "name": name, "rows": int(rows),
                                    "checksum": database.table_checksum(row_hash_sum)})
    except psycopg.errors.LockNotAvailable as e:
        raise ReadFailed("%s: another session holds a lock on it (a migration?) and lock_timeout ran out; retry "
                         "when it is done. Server said: %s" % (step, _server_said(e))) from None
    except psycopg.errors.InsufficientPrivilege as e:
        raise ReadFailed("%s: the login user may not read it; grant it SELECT or log in as another user. "
                         "Server said: %s" % (step, _server_said(e))) from None
    except psycopg.Error as e:
        raise ReadFailed("%s failed: %s" % (step, _server_said(e))) from None
    return {"server_version": version, "in_recovery": bool(in_recovery), "tables": results}


def close(conn):
    """Close a connection, ignoring a server that already went away."""
    try:
        conn.close()
    except psycopg.Error:
        pass


def compose(query):
    """A data_checks query description as something cursor.execute takes: a template composed with quoted
    identifiers ({"template", "identifiers": {placeholder: (part, ...)}}), or a user's query as is ({"raw"})."""
    if "raw" in query:
        return query["raw"]
    identifiers = dict((key, sql.Identifier(*parts)) for key, parts in query["identifiers"].items())
    return sql.SQL(query["template"]).format(**identifiers)


def run_queries(conn, queries, statement_timeout=0, max_rows=1000):
    """Run queries (data_checks descriptions) in one read-only REPEATABLE READ transaction: one snapshot for all.

    The session's output formats are pinned as for read_fingerprint (checksums agree with rds_data_info). Each
    query runs under its own savepoint as a single prepared statement (the extended protocol takes exactly one
    statement, so a second one cannot ride along), with statement_timeout seconds at most (0 = no limit), and
    fetches at most max_rows + 1 rows. A failing query does not stop the others.
    Returns {server_version, in_recovery, outcomes: [{"rows": [tuple, ...]} | {"error": "server's message"}]}.
    """
    step = "starting a read-only transaction"
    outcomes = []
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                step = "setting the session's output formats"
                settings = list(database.SESSION_SETTINGS) + [("statement_timeout", "%ds" % max(int(statement_timeout or 0), 0))]
                for name, value in settings:
                    cur.execute(database.SET_CONFIG_SQL, (name, value))
                step = "reading the server version"
                cur.execute(database.SERVER_SQL)
                version, in_recovery = cur.fetchone()
                for index, query in enumerate(queries):
                    step = "running check #%d" % (index + 1)
                    try:
                        with conn.transaction():
                            cur.execute(compose(query), prepare=True)
                            rows = cur.fetchmany(max_rows + 1) if cur.description else []
                        outcomes.append({"rows": [tuple(row) for row in rows]})
                    except psycopg.Error as e:
                        if conn.broken or conn.closed:  # the connection is gone: no other query can run
                            raise
                        outcomes.append({"error": _server_said(e)})
    except psycopg.Error as e:
        raise ReadFailed("%s failed: %s" % (step, _server_said(e))) from None
    return {"server_version": version, "in_recovery": bool(in_recovery), "outcomes": outcomes}
