# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import decimal
import hashlib
import itertools
import json

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import database

INSTANCE = {
    "DBInstanceIdentifier": "shop-db",
    "DBInstanceStatus": "available",
    "DBName": "shop",
    "Endpoint": {"Address": "shop-db.abc.us-east-1.rds.amazonaws.com", "Port": 5432},
}
CREATING = {"DBInstanceIdentifier": "shop-db-restore", "DBInstanceStatus": "creating"}
PASSWORD = "s3cr3t-Pa55"


# ------------------------------------------------------------------------------------------------ endpoint


def test_endpoint_from_api():
    assert database.resolve_endpoint(INSTANCE) == {
        "address": "shop-db.abc.us-east-1.rds.amazonaws.com", "port": 5432, "address_source": "api", "port_source": "api"}


def test_endpoint_overrides_each_part_on_its_own():
    assert database.resolve_endpoint(INSTANCE, login_host="127.0.0.1") == {
        "address": "127.0.0.1", "port": 5432, "address_source": "login_host", "port_source": "api"}
    assert database.resolve_endpoint(INSTANCE, port=15432) == {
        "address": "shop-db.abc.us-east-1.rds.amazonaws.com", "port": 15432, "address_source": "api", "port_source": "port"}


@pytest.mark.parametrize("host, port", [("", 0), (None, None), ("", None)])
def test_empty_overrides_mean_the_api_endpoint(host, port):
    # The inventory's host_override: "" and port_override: 0 are "no override".
    endpoint = database.resolve_endpoint(INSTANCE, host, port)
    assert (endpoint["address_source"], endpoint["port_source"]) == ("api", "api")


def test_endpoint_missing_while_creating_says_what_to_do():
    with pytest.raises(database.DatabaseError, match=r"shop-db-restore has no endpoint address yet \(status creating\).*login_host"):
        database.resolve_endpoint(CREATING)
    with pytest.raises(database.DatabaseError, match=r"no endpoint port yet.*set port"):
        database.resolve_endpoint(CREATING, login_host="127.0.0.1")
    # Both overrides: no need for the API endpoint at all.
    assert database.resolve_endpoint(CREATING, "127.0.0.1", 5433)["port"] == 5433


def test_endpoint_rejects_impossible_port():
    with pytest.raises(database.DatabaseError, match="not a TCP port"):
        database.resolve_endpoint(INSTANCE, port=70000)


def test_describe_sources():
    endpoint = database.resolve_endpoint(INSTANCE, login_host="127.0.0.1")
    assert database.describe_sources(endpoint) == "address from the login_host option, port from the RDS API endpoint"


def test_database_name():
    assert database.database_name(INSTANCE) == "shop"
    assert database.database_name(INSTANCE, "audit") == "audit"
    with pytest.raises(database.DatabaseError, match="set login_db"):
        database.database_name(CREATING)


# --------------------------------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    "user, password, secret, expected",
    [("shop_admin", PASSWORD, None, "options"), (None, None, "shop/db/master", "secret")],
)
def test_credential_source(user, password, secret, expected):
    assert database.credential_source(user, password, secret) == expected


@pytest.mark.parametrize(
    "user, password, secret, message",
    [
        ("shop_admin", None, "shop/db/master", "not both"),
        (None, PASSWORD, "shop/db/master", "not both"),
        ("shop_admin", None, None, "login_user shop_admin needs login_password"),
        (None, PASSWORD, None, "login_password needs login_user"),
        (None, None, None, "no database credentials: set login_secret_id"),
    ],
)
def test_credential_source_errors(user, password, secret, message):
    with pytest.raises(database.DatabaseError, match=message) as failure:
        database.credential_source(user, password, secret)
    assert PASSWORD not in str(failure.value)


def test_parse_rds_secret():
    secret = json.dumps({"username": "shop_admin", "password": PASSWORD, "engine": "postgres", "port": 5432, "dbname": "shop"})
    assert database.parse_secret(secret, "shop/db/master") == ("shop_admin", PASSWORD)


@pytest.mark.parametrize(
    "secret_string, message",
    [
        (json.dumps({"username": "shop_admin"}), 'secret shop/db/master has no "password" key'),
        (json.dumps({"password": PASSWORD}), 'has no "username" key'),
        (json.dumps({"username": "shop_admin", "password": ""}), 'has no "password" key'),
        (json.dumps({"username": "shop_admin", "password": 1234}), '"password" is not a string'),
        ("user=shop_admin password=" + PASSWORD, "is not JSON"),
        (json.dumps([PASSWORD]), "not an object"),
        (None, "no SecretString"),
    ],
)
def test_parse_secret_errors_name_the_problem_not_the_content(secret_string, message):
    with pytest.raises(database.DatabaseError, match=message) as failure:
        database.parse_secret(secret_string, "shop/db/master")
    assert PASSWORD not in str(failure.value)
    assert failure.value.__cause__ is None  # a JSON decode error quoting the text is not chained


@pytest.mark.parametrize(
    "secret_id, region",
    [
        ("shop/db/master", "us-west-2"),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db/master-AbCdEf", "us-east-1"),
        ("arn:aws:rds:us-east-1:123456789012:db:shop-db", "us-west-2"),
    ],
)
def test_secret_region(secret_id, region):
    assert database.secret_region(secret_id, "us-west-2") == region


# --------------------------------------------------------------------------------------------- conninfo


def settings(**overrides):
    values = dict(host="127.0.0.1", port=5432, dbname="shop", user="shop_admin", password=PASSWORD, ssl_mode="disable")
    values.update(overrides)
    return database.ConnectionSettings(**values)


def test_connect_kwargs():
    assert settings().connect_kwargs(7) == {
        "host": "127.0.0.1", "port": 5432, "dbname": "shop", "user": "shop_admin", "password": PASSWORD,
        "sslmode": "disable", "connect_timeout": 7, "application_name": "cloudops.runbooks"}
    with_ca = settings(ssl_mode="verify-full", ca_cert="/etc/ssl/certs/rds-global-bundle.pem").connect_kwargs(2)
    assert with_ca["sslrootcert"] == "/etc/ssl/certs/rds-global-bundle.pem"
    assert "sslrootcert" not in settings(ca_cert="").connect_kwargs(2)


def test_settings_never_show_the_password():
    shown = settings()
    for text in (repr(shown), str(shown), "%s" % shown, repr([shown]), shown.target()):
        assert PASSWORD not in text
    assert repr(shown) == "ConnectionSettings(shop_admin@127.0.0.1:5432/shop, sslmode=disable, password=********)"


def test_scrub():
    assert settings().scrub("FATAL: bad password %s for shop_admin" % PASSWORD) == "FATAL: bad password ******** for shop_admin"
    assert database.scrub(ValueError("nothing secret"), "", None) == "nothing secret"


# --------------------------------------------------------------------------------------------- retrying


def test_retry_delays_grow_then_stay_at_the_cap():
    assert list(itertools.islice(database.retry_delays(), 8)) == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0])


@pytest.mark.parametrize("remaining, expected", [(60, 10), (7.2, 8), (1.5, 2), (0, 2), (-3, 2)])
def test_attempt_timeout(remaining, expected):
    assert database.attempt_timeout(remaining) == expected


@pytest.mark.parametrize(
    "message, kind",
    [
        ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused', "retry"),
        ("connection failed: timeout expired", "retry"),
        ("failed to resolve host 'shop-db.abc.us-east-1.rds.amazonaws.com': [Errno -2] Name or service not known", "retry"),
        ("connection failed: FATAL:  the database system is starting up", "retry"),
        ("connection failed: FATAL:  sorry, too many clients already", "retry"),
        ('connection failed: FATAL:  password authentication failed for user "shop_admin"', "auth"),
        ('connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "x", database "shop", SSL off', "auth"),
        ('connection failed: FATAL:  database "nope" does not exist', "database"),
        ("connection failed: server does not support SSL, but SSL was required", "tls"),
        ('connection failed: root certificate file "/nope.pem" does not exist', "tls"),
        # The host name is quoted in messages: "ssl" in it must not turn a refused connection into a TLS error.
        ('connection failed: connection to server at "ssl-db.internal" (10.0.0.5), port 5432 failed: Connection refused', "retry"),
        ("something unheard of", "other"),
    ],
)
def test_classify_connect_error(message, kind):
    assert database.classify_connect_error(message) == kind


class FakeClock:
    """A clock that only moves when the code under test sleeps or an attempt takes time."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def failing_then(clock, failures, message="Connection refused", cost=0.0):
    """An attempt that fails `failures` times (each taking `cost` seconds), then returns "conn"."""
    calls = []

    def attempt(timeout):
        calls.append(timeout)
        clock.now += cost
        if len(calls) <= failures:
            raise database.AttemptFailed(message)
        return "conn"
    return attempt, calls


def test_wait_connects_after_transient_failures_with_growing_pauses():
    clock = FakeClock()
    attempt, calls = failing_then(clock, 3)
    assert database.wait_for_connection(attempt, 60, clock, clock.sleep) == ("conn", 4)
    assert clock.sleeps == pytest.approx([0.2, 0.4, 0.8])
    assert calls == [10, 10, 10, 10]


def test_wait_gives_up_at_the_deadline_after_one_last_attempt():
    clock = FakeClock()
    attempt, calls = failing_then(clock, 1000, cost=0.5)
    with pytest.raises(database.ConnectFailed) as failure:
        database.wait_for_connection(attempt, 12, clock, clock.sleep)
    assert failure.value.kind == "retry"
    # Pauses never sleep past the deadline; the last attempt starts at it, so only that attempt's own time
    # (at most its libpq connect_timeout, 2 s at the end) comes on top.
    assert sum(clock.sleeps) + 0.5 * len(calls) == pytest.approx(12.5)
    assert failure.value.waited == pytest.approx(12.5)
    assert failure.value.attempts == len(calls) == 7
    assert max(clock.sleeps) <= 5.0
    assert calls[-1] == 2  # the last attempt only gets what is left (libpq's minimum of 2 s)


def test_wait_fails_at_once_on_authentication_failure():
    clock = FakeClock()
    attempt, calls = failing_then(clock, 1000, message='FATAL:  password authentication failed for user "shop_admin"')
    with pytest.raises(database.ConnectFailed) as failure:
        database.wait_for_connection(attempt, 60, clock, clock.sleep)
    assert (failure.value.kind, failure.value.attempts, clock.sleeps) == ("auth", 1, [])


def test_wait_with_zero_timeout_tries_once():
    clock = FakeClock()
    attempt, calls = failing_then(clock, 1000)
    with pytest.raises(database.ConnectFailed):
        database.wait_for_connection(attempt, 0, clock, clock.sleep)
    assert len(calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "kind, last_error, expected",
    [
        ("auth", 'FATAL:  password authentication failed for user "shop_admin"',
         "authentication failure for user shop_admin at 127.0.0.1:5432 (address from the login_host option, port from "
         "the RDS API endpoint), credentials from secret shop/db/master"),
        ("database", 'FATAL:  database "shop" does not exist', "database shop does not exist at 127.0.0.1:5432"),
        ("tls", "server does not support SSL", "with ssl_mode=disable"),
        ("retry", "Connection refused",
         "PostgreSQL at 127.0.0.1:5432 (address from the login_host option, port from the RDS API endpoint) did not "
         "accept connections within 60 s (7 attempts over 59.5 s)"),
        ("other", "odd", "could not connect to 127.0.0.1:5432"),
    ],
)
def test_connect_failure_message_says_where_and_what_to_fix(kind, last_error, expected):
    endpoint = database.resolve_endpoint(INSTANCE, login_host="127.0.0.1")
    failure = database.ConnectFailed(kind, last_error + " " + PASSWORD, 7, 59.5)
    message = database.connect_failure_message(failure, settings(), endpoint, "secret shop/db/master", 60)
    assert expected in message
    assert PASSWORD not in message


# --------------------------------------------------------------------------------------------- fingerprint


def test_table_query_templates_leave_identifiers_to_the_driver():
    for checksums in (True, False):
        template = database.table_query_template(checksums)
        # One placeholder for a psycopg.sql.Identifier; nothing else that str.format or %-formatting would touch.
        assert template.count("{") == template.count("}") == 1
        assert "{table} AS t" in template
        assert "%" not in template
    assert "ROW(t.*)::text" in database.table_query_template(True)  # t.* cannot be shadowed by a column named t
    assert "ORDER BY" not in database.table_query_template(True)  # order independent without sorting
    assert database.table_query_template(False) == "SELECT count(*), NULL FROM {table} AS t"


def test_session_settings_pin_the_text_form_of_rows():
    names = dict(database.SESSION_SETTINGS)
    assert names["TimeZone"] == "UTC" and names["DateStyle"].startswith("ISO")
    assert database.SET_CONFIG_SQL.count("%s") == 2  # parameters, not formatted text
    assert database.TABLES_SQL.count("%s") == 1


def row_hash(text):
    """What the checksum query computes for one row: its first 64 bits of SHA-256 as a signed bigint."""
    value = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def test_table_checksum_is_order_independent_and_wraps_to_64_bits():
    rows = ["(1,alice)", "(2,bob)", "(3,carol)"]
    forwards = database.table_checksum(decimal.Decimal(sum(row_hash(r) for r in rows)))
    backwards = database.table_checksum(decimal.Decimal(sum(row_hash(r) for r in reversed(rows))))
    assert forwards == backwards and len(forwards) == 16
    assert database.table_checksum(decimal.Decimal(-1)) == "ffffffffffffffff"
    assert database.table_checksum(0) == "0000000000000000"
    assert database.table_checksum(None) is None


@pytest.mark.parametrize(
    "value, expected",
    [("orders", ("public", "orders")), ("billing.invoices", ("billing", "invoices")), (" orders ", ("public", "orders"))],
)
def test_split_table_name(value, expected):
    assert database.split_table_name(value) == expected


@pytest.mark.parametrize("value", [".orders", "billing.", ""])
def test_split_table_name_rejects_halves(value):
    with pytest.raises(database.DatabaseError, match="fix the tables option"):
        database.split_table_name(value)


def test_select_tables():
    found = [("public", "orders"), ("public", "customers"), ("public", "orders")]
    assert database.select_tables(found) == [("public", "customers"), ("public", "orders")]
    assert database.select_tables(found, [("public", "orders")]) == [("public", "orders")]
    with pytest.raises(database.DatabaseError, match=r"table\(s\) public.nope not found"):
        database.select_tables(found, [("public", "orders"), ("public", "nope")])


def test_summarize_is_independent_of_table_order():
    tables = [
        {"schema": "public", "name": "orders", "rows": 20, "checksum": "00000000000000aa"},
        {"schema": "public", "name": "customers", "rows": 5, "checksum": "00000000000000bb"},
    ]
    totals, fingerprint = database.summarize(tables)
    assert totals == {"tables": 2, "rows": 25}
    assert database.summarize(list(reversed(tables)))[1] == fingerprint
    expected = hashlib.sha256(b"public.customers\t5\t00000000000000bb\npublic.orders\t20\t00000000000000aa").hexdigest()
    assert fingerprint == expected


def test_summarize_changes_with_any_count_or_checksum():
    base = [{"schema": "public", "name": "orders", "rows": 20, "checksum": "00000000000000aa"}]
    fingerprint = database.summarize(base)[1]
    assert database.summarize([dict(base[0], rows=21)])[1] != fingerprint
    assert database.summarize([dict(base[0], checksum="00000000000000ab")])[1] != fingerprint
    assert database.summarize([dict(base[0], checksum=None)])[1] != fingerprint
    assert database.summarize([]) == ({"tables": 0, "rows": 0}, hashlib.sha256(b"").hexdigest())


def test_a_known_endpoint_is_of_the_instance_named_and_complete():
    status_side = {"instance_id": "shop-db", "endpoint": {"address": "shop-db.x.rds.amazonaws.com", "port": 5432}}
    summary = {"id": "shop-db-dr", "status": "available", "endpoint": {"address": "shop-db-dr.y.rds.amazonaws.com", "port": "5432"}}
    assert database.known_endpoint(status_side, "shop-db") == {"address": "shop-db.x.rds.amazonaws.com", "port": 5432}
    assert database.known_endpoint(summary, "shop-db-dr") == {"address": "shop-db-dr.y.rds.amazonaws.com", "port": 5432}
    # Another instance, no address yet (creating), nothing seen: None, and the module describes the instance itself.
    assert database.known_endpoint(status_side, "shop-db-dr") is None
    assert database.known_endpoint({"id": "shop-db-dr", "endpoint": {"address": None, "port": None}}, "shop-db-dr") is None
    assert database.known_endpoint(None, "shop-db") is None and database.known_endpoint({}, "") is None


def test_a_known_instance_is_what_resolve_endpoint_reads():
    instance = database.known_instance("shop-db", {"address": "10.0.0.5", "port": "5432"})
    assert database.resolve_endpoint(instance) == {"address": "10.0.0.5", "port": 5432, "address_source": "api", "port_source": "api"}
    assert database.resolve_endpoint(instance, login_host="127.0.0.1")["address"] == "127.0.0.1"
