# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data checks of rds_data_verify, apart from any driver: validating what the inventory declares, the query
each check runs, and whether what the server answered passes.

Kinds of check (exactly one per check):
  row_count: {table, min, max, equals}   the table's row count is within the given bounds
  checksum:  {table, equals}             the order-independent checksum of rds_data_info equals a known one
  newest:    {table, column, not_before | min_value}   max(column) is at least the given time or value
  sql + expect                           a read-only query returns the expected scalar or rows

Queries are described as {"template": ..., "identifiers": {...}} (composed with psycopg.sql by
module_utils/_db/postgres.py, identifiers never pasted as text) or {"raw": "SELECT ..."} for a user's query.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

ROW_COUNT = "row_count"
CHECKSUM = "checksum"
NEWEST = "newest"
SQL = "sql"
KINDS = (ROW_COUNT, CHECKSUM, NEWEST, SQL)

NEWEST_TEMPLATE = "SELECT max({column}) FROM {table}"
MAX_ROWS = 1000  # rows a sql check may return: expectations are small, an unbounded result would flood the output

# A user's query must be a read: it starts (after comments and parentheses) with one of these words. It also runs
# as a single statement (extended protocol) in a READ ONLY transaction, which refuses any write that hides in it.
READ_STARTS = ("select", "with", "values", "table", "show")
_LEADING = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()+", re.S)


class CheckError(Exception):
    """A check the module cannot run as declared; the message names it and says what to fix."""


# ---------------------------------------------------------------------------------------------------- validation


def _number(value, what):
    if isinstance(value, bool) or value is None:
        raise CheckError("%s must be a number" % what)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CheckError("%s must be a whole number, not %r" % (what, value)) from None


def first_word(sql):
    """The first keyword of a statement, after leading whitespace, comments and opening parentheses."""
    rest = _LEADING.sub("", sql or "", count=1)
    match = re.match(r"[A-Za-z_]+", rest)
    return match.group(0).lower() if match else ""


def plan_checks(checks, default_schema="public"):
    """Validate the declared checks; returns one plan per check: {name, kind, expected, query, spec}.

    checks: dicts with name and one of row_count, checksum, newest, sql (+ expect); absent keys may be None.
    """
    if not checks:
        raise CheckError("checks is empty: declare at least one check (row_count, checksum, newest or sql)")
    plans, seen = [], set()
    for index, check in enumerate(checks):
        name = (check.get("name") or "").strip()
        if not name:
            raise CheckError("check #%d has no name: give every check a name" % (index + 1))
        if name in seen:
            raise CheckError("check name %r is used twice: names must be unique" % name)
        seen.add(name)
        kinds = [kind for kind in KINDS if check.get(kind) not in (None, "", {})]
        if len(kinds) != 1:
            raise CheckError("check %r must have exactly one of %s (it has %s)"
                             % (name, ", ".join(KINDS), ", ".join(kinds) or "none"))
        kind = kinds[0]
        if kind != SQL and check.get("expect") is not None:
            raise CheckError("check %r: expect belongs to sql checks; %s checks say what they expect inside %s"
                             % (name, kind, kind))
        plans.append(dict(_plan_one(name, kind, check, default_schema), name=name, kind=kind))
    return plans


def _table(name, spec, default_schema):
    if not spec.get("table"):
        raise CheckError("check %r needs a table" % name)
    try:
        return database.split_table_name(spec["table"], default_schema)
    except database.DatabaseError as e:
        raise CheckError("check %r: %s" % (name, e)) from None


def _plan_one(name, kind, check, default_schema):
    if kind == SQL:
        sql = str(check[SQL]).strip().rstrip(";").strip()
        if first_word(sql) not in READ_STARTS:
            raise CheckError("check %r: sql must be one read-only query starting with %s (found %r)"
                             % (name, "/".join(word.upper() for word in READ_STARTS), first_word(sql) or sql[:20]))
        if check.get("expect") is None:
            raise CheckError("check %r: sql checks need expect: a scalar (one row, one column) or a list of rows "
                             "(a row is a list, or a scalar for a one-column row; [[null]] expects one NULL)" % name)
        if isinstance(check["expect"], dict):
            raise CheckError("check %r: expect must be a scalar or a list of rows, not a mapping" % name)
        return {"expected": check["expect"], "query": {"raw": sql}, "spec": {"sql": sql}}

    spec = check[kind]
    if not isinstance(spec, dict):
        raise CheckError("check %r: %s must be a mapping" % (name, kind))
    table = _table(name, spec, default_schema)
    label = "%s.%s" % table
    if kind == ROW_COUNT:
        bounds = dict((key, _number(spec[key], "check %r: row_count.%s" % (name, key)))
                      for key in ("min", "max", "equals") if spec.get(key) is not None)
        if not bounds:
            raise CheckError("check %r: row_count needs min, max or equals" % name)
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            raise CheckError("check %r: row_count.min %d is above row_count.max %d" % (name, bounds["min"], bounds["max"]))
        return {"expected": bounds, "spec": {"table": label},
                "query": {"template": database.table_query_template(False), "identifiers": {"table": table}}}
    if kind == CHECKSUM:
        equals = str(spec.get("equals") or "").strip().lower()
        if not re.match(r"^[0-9a-f]{16}$", equals):
            raise CheckError("check %r: checksum.equals must be the 16 hex digits rds_data_info returns for the "
                             "table (found %r)" % (name, spec.get("equals")))
        return {"expected": equals, "spec": {"table": label},
                "query": {"template": database.table_query_template(True), "identifiers": {"table": table}}}
    # NEWEST
    column = str(spec.get("column") or "").strip()
    if not column:
        raise CheckError("check %r: newest needs a column (the one whose largest value marks the newest row)" % name)
    given = [key for key in ("not_before", "min_value") if spec.get(key) not in (None, "")]
    if len(given) != 1:
        raise CheckError("check %r: newest needs exactly one of not_before (a time) or min_value" % name)
    if given[0] == "not_before":
        try:
            expected = {"not_before": backup.parse_time(spec["not_before"], "newest.not_before").isoformat()}
        except backup.BackupError as e:
            raise CheckError("check %r: %s" % (name, e)) from None
    else:
        expected = {"min_value": spec["min_value"]}
    return {"expected": expected, "spec": {"table": label, "column": column},
            "query": {"template": NEWEST_TEMPLATE, "identifiers": {"table": table, "column": (column,)}}}


# ------------------------------------------------------------------------------------------------------- values


def to_plain(value):
    """A value the module can return as JSON: numbers stay numbers, times become ISO strings."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(backup.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return dict((str(key), to_plain(item)) for key, item in value.items())
    return value


def _is_number(value):
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def _as_decimal(value):
    try:
        return decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        return None


def values_equal(expected, actual):
    """Whether a value the server returned (actual, as the driver gives it) equals one the inventory declares.

    Numbers compare by value (5 == 5.0 == Decimal('5'), a numeric string counts as its number), times by instant
    (a naive server time is UTC: the session's TimeZone), dates by date, lists element by element; anything else
    by its text.
    """
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(actual, datetime.datetime):
        try:
            return backup.parse_time(expected, "expect") == backup.parse_time(actual)
        except backup.BackupError:
            return False
    if isinstance(actual, datetime.date):
        try:
            return datetime.date.fromisoformat(str(expected)) == actual
        except ValueError:
            return False
    if isinstance(actual, (list, tuple)):
        return (isinstance(expected, (list, tuple)) and len(expected) == len(actual)
                and all(values_equal(e, a) for e, a in zip(expected, actual)))
    if _is_number(actual) or _is_number(expected):
        left, right = _as_decimal(expected), _as_decimal(actual)
        if left is None or right is None:
            return False
        if isinstance(expected, float) or isinstance(actual, float):
            return abs(float(left) - float(right)) <= 1e-9 * max(1.0, abs(float(left)))
        return left == right
    return str(expected) == str(to_plain(actual))


def at_least(actual, floor):
    """Whether actual >= floor, numbers by value, times by instant, else by text (False when incomparable)."""
    if actual is None:
        return False
    if isinstance(actual, datetime.datetime):
        return backup.parse_time(actual) >= backup.parse_time(floor, "newest.not_before")
    if isinstance(actual, datetime.date):
        floor_time = backup.parse_time(floor, "newest.min_value")
        return actual >= floor_time.date()
    if _is_number(actual):
        left, right = _as_decimal(actual), _as_decimal(floor)
        return left is not None and right is not None and left >= right
    return str(actual) >= str(floor)


# ----------------------------------------------------------------------------------------------------- evaluation


def _result(plan, passed, actual, message):
    return {"name": plan["name"], "kind": plan["kind"], "passed": bool(passed), "expected": plan["expected"],
            "actual": to_plain(actual), "message": message}


def evaluate(plan, outcome):
    """One check's result {name, kind, passed, expected, actual, message} from its query's outcome.

    outcome: {"rows": [tuple, ...]} or {"error": "what the server said"}.
    """
    what = plan["spec"].get("table") or "query"
    if outcome.get("error"):
        said = outcome["error"]
        if "read-only transaction" in said:
            said = "it tried to write, and checks run in a read-only transaction (%s)" % said
        return _result(plan, False, None, "%s failed: %s" % ("query" if plan["kind"] == SQL else what, said))
    rows = outcome.get("rows") or []
    if plan["kind"] == ROW_COUNT:
        count = int(rows[0][0])
        bounds = plan["expected"]
        broken = []
        if "equals" in bounds and count != bounds["equals"]:
            broken.append("expected exactly %d" % bounds["equals"])
        if "min" in bounds and count < bounds["min"]:
            broken.append("expected at least %d" % bounds["min"])
        if "max" in bounds and count > bounds["max"]:
            broken.append("expected at most %d" % bounds["max"])
        return _result(plan, not broken, count, "%s has %d rows%s" % (what, count, (": " + ", ".join(broken)) if broken else ""))
    if plan["kind"] == CHECKSUM:
        count, row_hash_sum = rows[0]
        checksum = database.table_checksum(row_hash_sum)
        passed = checksum == plan["expected"]
        return _result(plan, passed, checksum, "%s checksum %s over %d rows%s" % (
            what, checksum, int(count), "" if passed else ", expected %s" % plan["expected"]))
    if plan["kind"] == NEWEST:
        newest = rows[0][0] if rows else None
        column = "%s.%s" % (what, plan["spec"]["column"])
        floor = plan["expected"].get("not_before", plan["expected"].get("min_value"))
        if newest is None:
            return _result(plan, False, None, "%s has no value (empty table, or only NULLs)" % column)
        try:
            passed = at_least(newest, floor)
        except (backup.BackupError, TypeError, ValueError) as e:
            return _result(plan, False, newest, "cannot compare newest %s %r with %r: %s" % (column, to_plain(newest), floor, e))
        relation = "not before" if "not_before" in plan["expected"] else "at least"
        return _result(plan, passed, newest, "newest %s is %s, %s %s" % (
            column, to_plain(newest), relation if passed else "expected " + relation, floor))
    return _evaluate_sql(plan, rows)


def _evaluate_sql(plan, rows):
    expect = plan["expected"]
    if outcome_too_long(rows):
        return _result(plan, False, None, "the query returned more than %d rows: narrow it (LIMIT, WHERE, an aggregate)" % MAX_ROWS)
    if not isinstance(expect, (list, tuple)):
        if len(rows) != 1 or len(rows[0]) != 1:
            shape = [list(row) for row in rows]
            return _result(plan, False, shape, "expected one row with one column (%r), got %d row(s) of %s column(s)" % (
                expect, len(rows), len(rows[0]) if rows else 0))
        passed = values_equal(expect, rows[0][0])
        return _result(plan, passed, rows[0][0], "returned %r%s" % (to_plain(rows[0][0]), "" if passed else ", expected %r" % (expect,)))
    scalar_rows = all(not isinstance(item, (list, tuple)) for item in expect) and all(len(row) == 1 for row in rows)
    actual = [row[0] for row in rows] if scalar_rows else [list(row) for row in rows]
    if len(rows) != len(expect):
        return _result(plan, False, actual, "returned %d row(s), expected %d" % (len(rows), len(expect)))
    for number, (wanted, row) in enumerate(zip(expect, rows), 1):
        wanted_row = list(wanted) if isinstance(wanted, (list, tuple)) else [wanted]
        if len(wanted_row) != len(row) or not all(values_equal(e, a) for e, a in zip(wanted_row, row)):
            return _result(plan, False, actual, "row %d is %r, expected %r" % (number, to_plain(list(row)), wanted_row))
    return _result(plan, True, actual, "returned the %d expected row(s)" % len(rows))


def outcome_too_long(rows):
    return len(rows) > MAX_ROWS


def summarize(results):
    """(passed, failed_count) over all check results."""
    failed = [result for result in results if not result["passed"]]
    return not failed, len(failed)


def failure_message(results, instance_id):
    """The task's message when checks failed: each failed check and why."""
    failed = [result for result in results if not result["passed"]]
    return "%d of %d data check(s) failed on %s: %s" % (
        len(failed), len(results), instance_id, "; ".join("%s: %s" % (r["name"], r["message"]) for r in failed))


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def verify_step_summary(output):
    """step_summary of rds_data_verify: one gate per data check, with what it expected and found."""
    checks = [check for check in output.get("checks") or [] if isinstance(check, dict)]
    gates = [steps.gate(check.get("name"), check.get("passed"), check.get("message"),
                        steps.numbers_of(check, ("kind", "expected", "actual"))) for check in checks]
    failed = sum(1 for g in gates if g["passed"] is False)
    detail = "%d of %d data check(s) passed on %s" % (len(gates) - failed, len(gates), output.get("instance_id"))
    return steps.summary(detail, {"checks": len(gates), "failed": failed}, gates)
