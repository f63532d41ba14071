# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import decimal

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks
from ansible_collections.cloudops.runbooks.plugins.module_utils import database

UTC = datetime.timezone.utc
KEYS = ("name", "row_count", "checksum", "newest", "sql", "expect")


def check(**given):
    """A check as Ansible hands it over: every suboption present, unset ones None."""
    return dict(dict.fromkeys(KEYS), **given)


def plan_one(**given):
    return data_checks.plan_checks([check(**given)])[0]


# ---------------------------------------------------------------------------------------------------- validation


def test_plans_carry_the_query_to_run():
    plans = data_checks.plan_checks([
        check(name="count", row_count={"table": "orders", "min": 1, "max": None, "equals": None}),
        check(name="sum", checksum={"table": "billing.invoices", "equals": "00000000000000FF"}),
        check(name="newest", newest={"table": "orders", "column": "created_at", "not_before": "2026-01-31T12:00:00Z", "min_value": None}),
        check(name="sql", sql="  select 1;  ", expect=1),
    ])
    assert [p["kind"] for p in plans] == ["row_count", "checksum", "newest", "sql"]
    assert plans[0]["query"] == {"template": database.COUNT_TEMPLATE, "identifiers": {"table": ("public", "orders")}}
    assert plans[0]["expected"] == {"min": 1}
    assert plans[1]["query"]["template"] == database.CHECKSUM_TEMPLATE and plans[1]["expected"] == "00000000000000ff"
    assert plans[1]["query"]["identifiers"] == {"table": ("billing", "invoices")}
    assert plans[2]["query"]["identifiers"] == {"table": ("public", "orders"), "column": ("created_at",)}
    assert plans[2]["expected"] == {"not_before": "2026-01-31T12:00:00+00:00"}
    assert plans[3]["query"] == {"raw": "select 1"}


@pytest.mark.parametrize("checks, message", [
    ([], "checks is empty"),
    ([check(sql="SELECT 1", expect=1)], "check #1 has no name"),
    ([check(name="a", sql="SELECT 1", expect=1), check(name="a", sql="SELECT 2", expect=2)], "'a' is used twice"),
    ([check(name="a")], "exactly one of row_count, checksum, newest, sql (it has none)"),
    ([check(name="a", sql="SELECT 1", expect=1, row_count={"table": "t", "min": 1})], "(it has row_count, sql)"),
    ([check(name="a", row_count={"table": "t"})], "row_count needs min, max or equals"),
    ([check(name="a", row_count={"table": "t", "min": 5, "max": 2})], "row_count.min 5 is above row_count.max 2"),
    ([check(name="a", row_count={"table": "t", "equals": 1}, expect=1)], "expect belongs to sql checks"),
    ([check(name="a", checksum={"table": "t", "equals": "abc"})], "16 hex digits"),
    ([check(name="a", newest={"table": "t", "column": "c"})], "exactly one of not_before (a time) or min_value"),
    ([check(name="a", newest={"table": "t", "column": "c", "not_before": "soon"})], "not an ISO 8601 time"),
    ([check(name="a", sql="DELETE FROM orders", expect=0)], "must be one read-only query starting with SELECT/WITH/VALUES/TABLE/SHOW (found 'delete')"),
    ([check(name="a", sql="SELECT 1")], "sql checks need expect"),
    ([check(name="a", sql="SELECT 1", expect={"x": 1})], "not a mapping"),
    ([check(name="a", row_count={"table": "a.", "min": 1})], "is not 'name' or 'schema.name'"),
])
def test_invalid_checks_say_what_to_fix(checks, message):
    with pytest.raises(data_checks.CheckError) as caught:
        data_checks.plan_checks(checks)
    assert message in str(caught.value)


@pytest.mark.parametrize("sql, word", [
    ("SELECT 1", "select"),
    ("  -- a comment\n  /* another */ (SELECT 1) UNION (SELECT 2)", "select"),
    ("with x as (select 1) select * from x", "with"),
    ("VALUES (1)", "values"),
    ("/* sneaky */ delete from t", "delete"),
    ("", ""),
])
def test_first_word_skips_comments_and_parentheses(sql, word):
    assert data_checks.first_word(sql) == word


# ------------------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("expected, actual", [
    (5, 5), (5, decimal.Decimal("5")), ("5", 5), (5, "5"), (1.5, decimal.Decimal("1.5")), (0.1 + 0.2, 0.3),
    (True, True), (None, None), ("placed", "placed"),
    ("2026-01-31T12:00:00Z", datetime.datetime(2026, 1, 31, 13, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))),
    ("2026-01-31T12:00:00Z", datetime.datetime(2026, 1, 31, 12, 0)),      # naive server time is UTC
    ("2026-01-31", datetime.date(2026, 1, 31)),
    ([1, "a"], [1, "a"]),
])
def test_values_equal(expected, actual):
    assert data_checks.values_equal(expected, actual)


@pytest.mark.parametrize("expected, actual", [
    (5, 6), (True, 1), (1, True), (None, 0), (0, None), ("placed", "paid"), ("x", 5),
    ("2026-01-31T12:00:01Z", datetime.datetime(2026, 1, 31, 12, 0, tzinfo=UTC)), ("soon", datetime.datetime(2026, 1, 31)),
    ([1, 2], [1]),
])
def test_values_differ(expected, actual):
    assert not data_checks.values_equal(expected, actual)


def test_to_plain_makes_json_values():
    assert data_checks.to_plain([decimal.Decimal("3"), decimal.Decimal("2.5"), datetime.datetime(2026, 1, 31, tzinfo=UTC),
                                 datetime.date(2026, 1, 31), b"\x01\xff", datetime.timedelta(seconds=90)]) == [
        3, 2.5, "2026-01-31T00:00:00+00:00", "2026-01-31", "\\x01ff", 90.0]


# --------------------------------------------------------------------------------------------------- evaluation


def test_row_count_bounds():
    plan = plan_one(name="orders", row_count={"table": "orders", "min": 10, "max": 20, "equals": None})
    assert data_checks.evaluate(plan, {"rows": [(15, None)]})["passed"]
    result = data_checks.evaluate(plan, {"rows": [(9, None)]})
    assert (result["passed"], result["actual"], result["message"]) == (False, 9, "public.orders has 9 rows: expected at least 10")
    exact = plan_one(name="orders", row_count={"table": "orders", "equals": 3000})
    assert data_checks.evaluate(exact, {"rows": [(3001, None)]})["message"] == "public.orders has 3001 rows: expected exactly 3000"


def test_checksum_is_the_one_of_rds_data_info():
    plan = plan_one(name="sum", checksum={"table": "orders", "equals": "%016x" % 255})
    result = data_checks.evaluate(plan, {"rows": [(2, decimal.Decimal(255))]})
    assert result["passed"] and result["actual"] == database.table_checksum(255) == "00000000000000ff"
    wrong = data_checks.evaluate(plan, {"rows": [(2, decimal.Decimal(256))]})
    assert not wrong["passed"] and wrong["message"].endswith("expected 00000000000000ff")


def test_newest_by_time_and_by_value():
    by_time = plan_one(name="n", newest={"table": "orders", "column": "created_at", "not_before": "2026-01-31T12:00:00Z"})
    fresh = data_checks.evaluate(by_time, {"rows": [(datetime.datetime(2026, 1, 31, 12, 0, 1, tzinfo=UTC),)]})
    assert fresh["passed"] and fresh["actual"] == "2026-01-31T12:00:01+00:00"
    stale = data_checks.evaluate(by_time, {"rows": [(datetime.datetime(2026, 1, 31, 11, 59, tzinfo=UTC),)]})
    assert not stale["passed"] and "expected not before 2026-01-31T12:00:00+00:00" in stale["message"]
    empty = data_checks.evaluate(by_time, {"rows": [(None,)]})
    assert not empty["passed"] and "has no value" in empty["message"]
    by_value = plan_one(name="n", newest={"table": "orders", "column": "id", "min_value": 3000})
    assert data_checks.evaluate(by_value, {"rows": [(decimal.Decimal(3000),)]})["passed"]
    assert not data_checks.evaluate(by_value, {"rows": [(2999,)]})["passed"]


def test_sql_scalar_and_rows():
    scalar = plan_one(name="s", sql="SELECT count(*) FROM orders", expect=0)
    assert data_checks.evaluate(scalar, {"rows": [(0,)]})["passed"]
    shape = data_checks.evaluate(scalar, {"rows": [(0, 1)]})
    assert not shape["passed"] and "expected one row with one column" in shape["message"]
    rows = plan_one(name="r", sql="SELECT id, status FROM orders ORDER BY id", expect=[[1, "placed"], [2, "paid"]])
    assert data_checks.evaluate(rows, {"rows": [(1, "placed"), (2, "paid")]})["passed"]
    wrong = data_checks.evaluate(rows, {"rows": [(1, "placed"), (2, "shipped")]})
    assert not wrong["passed"] and wrong["message"] == "row 2 is [2, 'shipped'], expected [2, 'paid']"
    assert data_checks.evaluate(rows, {"rows": [(1, "placed")]})["message"] == "returned 1 row(s), expected 2"
    column = plan_one(name="c", sql="SELECT DISTINCT status FROM orders ORDER BY 1", expect=["paid", "placed"])
    result = data_checks.evaluate(column, {"rows": [("paid",), ("placed",)]})
    assert result["passed"] and result["actual"] == ["paid", "placed"]
    null = plan_one(name="n", sql="SELECT max(id) FROM empty", expect=[[None]])
    assert data_checks.evaluate(null, {"rows": [(None,)]})["passed"]


def test_a_query_error_fails_the_check_and_a_write_says_why():
    plan = plan_one(name="w", sql="WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM d", expect=0)
    result = data_checks.evaluate(plan, {"error": "cannot execute SELECT in a read-only transaction"})
    assert not result["passed"] and result["actual"] is None
    assert "tried to write, and checks run in a read-only transaction" in result["message"]
    table = plan_one(name="t", row_count={"table": "nope", "min": 1})
    assert data_checks.evaluate(table, {"error": 'relation "public.nope" does not exist'})["message"] == (
        'public.nope failed: relation "public.nope" does not exist')


def test_too_many_rows_is_a_failure():
    plan = plan_one(name="all", sql="SELECT id FROM orders", expect=[1])
    result = data_checks.evaluate(plan, {"rows": [(n,) for n in range(data_checks.MAX_ROWS + 1)]})
    assert not result["passed"] and "more than 1000 rows" in result["message"]


def test_summary_and_failure_message():
    results = [{"name": "a", "passed": True, "message": "ok"}, {"name": "b", "passed": False, "message": "9 rows"}]
    assert data_checks.summarize(results) == (False, 1)
    assert data_checks.failure_message(results, "shop-db-restore") == "1 of 2 data check(s) failed on shop-db-restore: b: 9 rows"
