# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database connection and fingerprint decisions, apart from any driver or AWS call.

Where to connect (the RDS API endpoint or an override), with which credentials (module options or a Secrets
Manager secret in the RDS format), how long to keep trying and which connection errors are worth a retry, the SQL
that reads a table's row count and checksum, and the fingerprint over all tables. No psycopg, no boto3: the I/O
lives in module_utils/_db/postgres.py and module_utils/_aws/secretsmanager.py.
"""

from __future__ import annotations

import hashlib
import json
import math

from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting

API = "api"
LOGIN_HOST = "login_host"
PORT = "port"

SECRET = "secret"
OPTIONS = "options"

# Connection failures, by what the operator must do about them.
RETRY = "retry"            # the server is not (yet) reachable or not accepting connections: wait and try again
AUTH = "auth"              # wrong user or password, or pg_hba refuses the client
NO_DATABASE = "database"   # the database does not exist
TLS = "tls"                # ssl_mode / ca_cert do not match the server
OTHER = "other"

MASK = "********"
APPLICATION_NAME = "cloudops.runbooks"


class DatabaseError(Exception):
    """A failure whose message says what to fix; never carries a password."""


# ---------------------------------------------------------------------------------------------------- endpoint


def resolve_endpoint(instance, login_host=None, port=None):
    """Where to connect: the instance's API endpoint, each part replaceable by an override.

    instance: one DBInstances entry of describe_db_instances (CamelCase).
    login_host: address to use instead of Endpoint.Address (a bastion tunnel, the sandbox's 127.0.0.1); empty = none.
    port: port to use instead of Endpoint.Port; None or 0 = none.

    Returns {address, port, address_source, port_source}; a source is "api", "login_host" or "port".
    """
    endpoint = instance.get("Endpoint") or {}
    name = instance.get("DBInstanceIdentifier", "?")
    status = instance.get("DBInstanceStatus", "unknown")
    if port is not None and not 0 <= int(port) <= 65535:
        raise DatabaseError("port %s is not a TCP port: give 1-65535, or 0 to use the instance's endpoint port" % port)
    if login_host:
        address, address_source = login_host, LOGIN_HOST
    elif endpoint.get("Address"):
        address, address_source = endpoint["Address"], API
    else:
        raise DatabaseError(
            "RDS instance %s has no endpoint address yet (status %s): wait until it is available, or set login_host"
            % (name, status))
    if port:
        number, port_source = int(port), PORT
    elif endpoint.get("Port"):
        number, port_source = int(endpoint["Port"]), API
    else:
        raise DatabaseError(
            "RDS instance %s has no endpoint port yet (status %s): wait until it is available, or set port"
            % (name, status))
    return {"address": address, "port": number, "address_source": address_source, "port_source": port_source}


def describe_sources(endpoint):
    """'address from the RDS API endpoint, port from the port option' for error messages."""
    said = {API: "the RDS API endpoint", LOGIN_HOST: "the login_host option", PORT: "the port option"}
    return "address from %s, port from %s" % (said[endpoint["address_source"]], said[endpoint["port_source"]])


def known_endpoint(seen, instance_id):
    """The {address, port} of instance_id as a step of the run saw it - a status report's RDS side ({instance_id,
    endpoint}) or a module's instance summary ({id, endpoint}) - or None when seen is of another instance or shows no
    address yet (a module given None describes the instance itself)."""
    seen = seen if isinstance(seen, dict) else {}
    endpoint = seen.get("endpoint") if isinstance(seen.get("endpoint"), dict) else {}
    if not instance_id or (seen.get("instance_id") or seen.get("id")) != instance_id or not endpoint.get("address") or not endpoint.get("port"):
        return None
    return {"address": endpoint["address"], "port": int(endpoint["port"])}


def known_instance(instance_id, endpoint):
    """The DBInstances entry (CamelCase, what resolve_endpoint reads) of an instance whose endpoint the run already
    read ({address, port}), so a module that only connects to it need not describe it again."""
    return {"DBInstanceIdentifier": instance_id, "Endpoint": {"Address": endpoint["address"], "Port": int(endpoint["port"])}}


def database_name(instance, login_db=None):
    """The database to open: login_db, else the instance's DBName (the database created with it)."""
    if login_db:
        return login_db
    if instance.get("DBName"):
        return instance["DBName"]
    raise DatabaseError(
        "RDS instance %s was created without a database name (no DBName): set login_db"
        % instance.get("DBInstanceIdentifier", "?"))


# ------------------------------------------------------------------------------------------------- credentials


def credential_source(login_user=None, login_password=None, login_secret_id=None):
    """Which credentials the options name: SECRET or OPTIONS, or a DatabaseError saying what to change."""
    if login_secret_id:
        if login_user or login_password:
            raise DatabaseError(
                "give either login_secret_id or login_user and login_password, not both: the secret already holds "
                "the user name and password")
        return SECRET
    if login_user and login_password:
        return OPTIONS
    if login_user:
        raise DatabaseError("login_user %s needs login_password (or use login_secret_id instead)" % login_user)
    if login_password:
        raise DatabaseError("login_password needs login_user (or use login_secret_id instead)")
    raise DatabaseError(
        "no database credentials: set login_secret_id (a Secrets Manager secret with username and password, as RDS "
        "manages them) or login_user and login_password")


def parse_secret(secret_string, secret_id):
    """(username, password) from a SecretString in the RDS format {"username": ..., "password": ..., ...}.

    Error messages name the secret and the missing key, never the secret's content.
    """
    expected = 'expected a JSON object with "username" and "password" keys, as RDS-managed secrets have'
    if secret_string is None:
        raise DatabaseError("secret %s has no SecretString (binary secrets are not supported): %s" % (secret_id, expected))
    try:
        data = json.loads(secret_string)
    except ValueError:
        raise DatabaseError("secret %s is not JSON: %s" % (secret_id, expected)) from None
    if not isinstance(data, dict):
        raise DatabaseError("secret %s is JSON but not an object: %s" % (secret_id, expected))
    found = []
    for key in ("username", "password"):
        value = data.get(key)
        if value is None or value == "":
            raise DatabaseError('secret %s has no "%s" key (or it is empty): %s' % (secret_id, key, expected))
        if not isinstance(value, str):
            raise DatabaseError('secret %s: "%s" is not a string: %s' % (secret_id, key, expected))
        found.append(value)
    return found[0], found[1]


def secret_region(secret_id, default_region):
    """The region to read a secret in: the one of its ARN, else the instance's region."""
    parts = (secret_id or "").split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "secretsmanager" and parts[3]:
        return parts[3]
    return default_region


def scrub(text, *secrets):
    """text with every secret replaced by a mask: for anything that goes into a message."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class ConnectionSettings:
    """What psycopg.connect needs, with a repr that hides the password (it may end up in a traceback)."""

    def __init__(self, host, port, dbname, user, password, ssl_mode="require", ca_cert=None):
        self.host = host
        self.port = int(port)
        self.dbname = dbname
        self.user = user
        self._password = password
        self.ssl_mode = ssl_mode
        self.ca_cert = ca_cert or None

    def connect_kwargs(self, attempt_timeout):
        """Keyword arguments of psycopg.connect (libpq parameters) for one attempt; includes the password."""
        kwargs = {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self._password,
            "sslmode": self.ssl_mode,
            "connect_timeout": int(attempt_timeout),
            "application_name": APPLICATION_NAME,
        }
        if self.ca_cert:
            kwargs["sslrootcert"] = self.ca_cert
        return kwargs

    def scrub(self, text):
        """text without this connection's password."""
        return scrub(text, self._password)

    def target(self):
        """'user@host:port/dbname', for messages."""
        return "%s@%s:%s/%s" % (self.user, self.host, self.port, self.dbname)

    def __repr__(self):
        return "ConnectionSettings(%s, sslmode=%s, password=%s)" % (self.target(), self.ssl_mode, MASK)

    __str__ = __repr__


# ------------------------------------------------------------------------------------------------- connecting


def retry_delays():
    """Pauses between connection attempts: 0.2, 0.4, 0.8, ... seconds, growing to at most 5 s (endless). A
    server that is coming up is reached quickly; the shape is the collection's one poller's (waiting.py)."""
    return waiting.backoff(start=0.2, factor=2.0, cap=5.0)


def attempt_timeout(remaining, longest=10):
    """libpq's connect_timeout for one attempt: whole seconds, at least 2 (libpq's minimum), at most longest,
    and no more than what is left of the total wait (rounded up)."""
    return int(max(2, min(longest, math.ceil(max(remaining, 0)))))


_CONNECT_ERRORS = (
    # (what the message says, kind); first match wins. Messages quote the host name, so the needles are phrases
    # that a host name cannot plausibly contain.
    ("password authentication failed", AUTH),
    ("no pg_hba.conf entry", AUTH),
    ("authentication failed", AUTH),
    ("role \"", AUTH),
    ("database \"", NO_DATABASE),
    ("connection refused", RETRY),
    ("timeout expired", RETRY),
    ("timed out", RETRY),
    ("the database system is starting up", RETRY),
    ("the database system is shutting down", RETRY),
    ("the database system is in recovery mode", RETRY),
    ("the database system is not yet accepting connections", RETRY),
    ("the database system is not accepting connections", RETRY),
    ("too many clients", RETRY),
    ("remaining connection slots are reserved", RETRY),
    ("server closed the connection unexpectedly", RETRY),
    ("connection reset", RETRY),
    ("no route to host", RETRY),
    ("network is unreachable", RETRY),
    ("failed to resolve host", RETRY),
    ("could not translate host name", RETRY),
    ("name or service not known", RETRY),
    ("temporary failure in name resolution", RETRY),
    ("does not support ssl", TLS),
    ("ssl error", TLS),
    ("ssl negotiation", TLS),
    ("certificate", TLS),
    ("sslmode", TLS),
    ("sslrootcert", TLS),
)


def classify_connect_error(message):
    """RETRY, AUTH, NO_DATABASE, TLS or OTHER for the text of a failed connection attempt.

    libpq gives no SQLSTATE for most connection failures, so the text decides. A new RDS endpoint's DNS name
    may take a while to resolve, so a resolution failure is retried like a refused connection.
    """
    text = (message or "").lower()
    for needle, kind in _CONNECT_ERRORS:
        if needle in text:
            return kind
    return OTHER


class AttemptFailed(Exception):
    """One connection attempt failed; the message is already free of the password."""


def wait_for_connection(attempt, timeout, clock, sleep, delays=None):
    """Call attempt(attempt_timeout) until it returns a connection, a failure is not worth a retry, or timeout
    seconds have passed. Pauses grow from 0.2 s (retry_delays) and never overrun the deadline.

    attempt raises AttemptFailed. Returns (connection, attempts); raises ConnectFailed.
    """
    delays = delays if delays is not None else retry_delays()
    started = clock()
    deadline = started + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt(attempt_timeout(deadline - clock())), attempts
        except AttemptFailed as e:
            kind = classify_connect_error(str(e))
            remaining = deadline - clock()
            if kind != RETRY or remaining <= 0:
                raise ConnectFailed(kind, str(e), attempts, clock() - started) from None
            sleep(min(next(delays), remaining))


class ConnectFailed(Exception):
    """The connection could not be made: kind, the last error, attempts and seconds waited."""

    def __init__(self, kind, last_error, attempts, waited):
        super().__init__(last_error)
        self.kind = kind
        self.last_error = last_error
        self.attempts = attempts
        self.waited = waited


def connect_failure_message(failure, settings, endpoint, credentials, timeout):
    """What went wrong and what to fix, for a ConnectFailed.

    credentials: how the user was given, e.g. 'secret shop/db/master' or 'login_user/login_password'.
    """
    where = "%s:%s (%s)" % (settings.host, settings.port, describe_sources(endpoint))
    last = settings.scrub(failure.last_error).strip()
    if failure.kind == AUTH:
        return ("authentication failure for user %s at %s, credentials from %s: check the user name and password "
                "there, and that the server lets this client in (pg_hba / security group). Server said: %s"
                % (settings.user, where, credentials, last))
    if failure.kind == NO_DATABASE:
        return "database %s does not exist at %s: set login_db to an existing database. Server said: %s" % (
            settings.dbname, where, last)
    if failure.kind == TLS:
        return ("TLS negotiation with %s failed with ssl_mode=%s%s: pick an ssl_mode the server supports "
                "(the sandbox has no TLS: disable) and a ca_cert that signs its certificate. Error: %s"
                % (where, settings.ssl_mode, " and ca_cert=%s" % settings.ca_cert if settings.ca_cert else "", last))
    if failure.kind == RETRY:
        return ("PostgreSQL at %s did not accept connections within %s s (%d attempts over %.1f s): check the "
                "address and port (login_host / port override the API endpoint), the security group, and that the "
                "instance is available; raise connect_timeout for a server still starting. Last error: %s"
                % (where, timeout, failure.attempts, failure.waited, last))
    return "could not connect to %s as %s: %s" % (where, settings.user, last)


# ------------------------------------------------------------------------------------------------- fingerprint

# Set for the read-only transaction so that every server renders rows the same way (the checksum hashes each
# row's text form): a primary and a restore with different parameter groups must still agree.
SESSION_SETTINGS = (
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("TimeZone", "UTC"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
    ("lc_monetary", "C"),
    # Do not queue behind an exclusive lock (a migration) for ever.
    ("lock_timeout", "30s"),
)

SET_CONFIG_SQL = "SELECT set_config(%s, %s, true)"

SERVER_SQL = "SELECT current_setting('server_version'), pg_is_in_recovery()"

# Ordinary and partitioned tables that are not themselves partitions (a partitioned table's count covers its
# partitions), in the given schemas.
TABLES_SQL = (
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%s)"
    " ORDER BY n.nspname, c.relname"
)

# Row count and an order-independent checksum: the sum of the first 64 bits of each row's SHA-256 (its text form),
# so equal contents give equal sums whatever the physical order, with no sort and no big string in memory (a
# string_agg of a table over 1 GB of text would fail). Duplicated rows count twice. {table} is a psycopg.sql
# Identifier (schema, name); the alias is only used as t.*, which a column named t cannot shadow.
COUNT_TEMPLATE = "SELECT count(*), NULL FROM {table} AS t"
CHECKSUM_TEMPLATE = (
    "SELECT count(*),"
    " coalesce(sum(('x' || left(encode(sha256(convert_to(ROW(t.*)::text, 'UTF8')), 'hex'), 16))::bit(64)::bigint::numeric), 0)"
    " FROM {table} AS t"
)


def table_query_template(checksums):
    """The per-table query, with a {table} placeholder for a psycopg.sql.Identifier (never formatted as text)."""
    return CHECKSUM_TEMPLATE if checksums else COUNT_TEMPLATE


def table_checksum(row_hash_sum):
    """The checksum column of a table's query (the sum of 64-bit row hashes) as 16 hex digits, or None."""
    if row_hash_sum is None:
        return None
    return "%016x" % (int(row_hash_sum) % (1 << 64))


def split_table_name(value, default_schema="public"):
    """(schema, name) from 'schema.name' or 'name' (then in default_schema)."""
    schema, dot, name = str(value).strip().partition(".")
    if not dot:
        schema, name = default_schema, schema
    if not schema or not name:
        raise DatabaseError("table %r is not 'name' or 'schema.name': fix the tables option" % value)
    return schema, name


def select_tables(found, wanted=None):
    """Which tables to read.

    found: (schema, name) of the base tables in the schemas concerned (TABLES_SQL).
    wanted: (schema, name) the user listed, or None for every table found.
    Returns them sorted; a listed table that does not exist is a DatabaseError naming it.
    """
    found = sorted(set(tuple(item) for item in found))
    if wanted is None:
        return found
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise DatabaseError("table(s) %s not found (or not visible to this user): fix the tables option"
                            % ", ".join("%s.%s" % item for item in missing))
    return sorted(set(wanted))


def summarize(tables):
    """totals and fingerprint for the per-table results [{schema, name, rows, checksum}].

    The fingerprint is a SHA-256 over 'schema.name<TAB>rows<TAB>checksum' lines in (schema, name) order: two
    databases with the same tables, counts and checksums have the same fingerprint. Without checksums it covers
    names and counts only.
    """
    ordered = sorted(tables, key=lambda table: (table["schema"], table["name"]))
    lines = ["%s.%s\t%d\t%s" % (t["schema"], t["name"], t["rows"], t["checksum"] or "") for t in ordered]
    fingerprint = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    totals = {"tables": len(ordered), "rows": sum(t["rows"] for t in ordered)}
    return totals, fingerprint
