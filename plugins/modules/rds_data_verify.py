#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_data_verify
version_added: 1.0.0
short_description: Prove by SQL that the database behind an RDS instance holds the expected data
description:
  - Connects to the PostgreSQL database of an RDS instance (a restored one, typically) and runs the checks the
    inventory declares, each one of
  - 'V(row_count): a table''s row count is within C(min) / C(max) or C(equals) a number;'
  - 'V(checksum): a table''s order-independent checksum equals a known one (the same checksum as
    M(cloudops.runbooks.rds_data_info), so a checksum read on the source at snapshot time proves a restore);'
  - 'V(newest): the largest value of a column (the newest marker row) is not before a time (C(not_before)) or at
    least C(min_value);'
  - 'V(sql) with O(checks[].expect): a read-only query returns the expected scalar, or rows.'
  - All checks run in one read-only C(REPEATABLE READ) transaction (one snapshot of the data), each under its own
    savepoint, so a failing check does not stop the others. A O(checks[].sql) query must start with C(SELECT),
    C(WITH), C(VALUES), C(TABLE) or C(SHOW) and is sent as one prepared statement, so nothing can ride along with
    it; a write inside it fails the check (the transaction is read-only).
  - The endpoint, credentials and TLS settings are those of M(cloudops.runbooks.rds_data_info).
  - Why our own module? The restore test of the backup_restore runbook must end in evidence, not in "the instance is
    available"; amazon.aws has no database checks and community.postgresql's queries neither compare results nor
    find the endpoint of an RDS instance.
  - Read-only; runs the same in check mode.
options:
  instance_id:
    description:
      - Identifier of the DB instance.
    type: str
    required: true
    aliases: [db_instance_identifier]
  checks:
    description:
      - The checks, each with a O(checks[].name) and exactly one of O(checks[].row_count), O(checks[].checksum),
        O(checks[].newest) or O(checks[].sql).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the check, unique in the list; results carry it.
        type: str
        required: true
      row_count:
        description:
          - Compare a table's row count with bounds; give at least one of C(min), C(max), C(equals).
        type: dict
        suboptions:
          table:
            description: Table, as C(name) (in O(default_schema)) or C(schema.name).
            type: str
            required: true
          min:
            description: Fewest rows allowed.
            type: int
          max:
            description: Most rows allowed.
            type: int
          equals:
            description: Exact number of rows.
            type: int
      checksum:
        description:
          - Compare a table's checksum (RV(cloudops.runbooks.rds_data_info#module:tables[].checksum)) with a known one.
        type: dict
        suboptions:
          table:
            description: Table, as C(name) or C(schema.name).
            type: str
            required: true
          equals:
            description: The expected checksum (16 hex digits).
            type: str
            required: true
      newest:
        description:
          - Check that the largest value of a column (a timestamp, a sequence id) has reached a mark; give one of
            C(not_before) or C(min_value).
        type: dict
        suboptions:
          table:
            description: Table, as C(name) or C(schema.name).
            type: str
            required: true
          column:
            description: Column whose largest value marks the newest row.
            type: str
            required: true
          not_before:
            description: ISO 8601 time the newest value may not be before (without an offset it is UTC).
            type: str
          min_value:
            description: Smallest acceptable newest value (a number, compared by value).
            type: raw
      sql:
        description:
          - One read-only query (C(SELECT), C(WITH), C(VALUES), C(TABLE) or C(SHOW)); needs O(checks[].expect).
        type: str
      expect:
        description:
          - What O(checks[].sql) must return. A scalar means one row with one column equal to it; a list means
            exactly these rows in this order (a row is a list of column values, or a scalar for a one-column row;
            V([[null]]) expects one NULL).
          - Numbers compare by value, times by instant (a C(timestamp without time zone) is UTC), anything else by text.
        type: raw
  default_schema:
    description:
      - Schema of a table named without one.
    type: str
    default: public
  statement_timeout:
    description:
      - Seconds each check's query may run (PostgreSQL C(statement_timeout)); V(0) means no limit.
    type: int
    default: 600
  fail_on_mismatch:
    description:
      - Fail the task when a check does not pass. With V(false) the results are returned for the caller to judge.
    type: bool
    default: true
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
  - cloudops.runbooks.database
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the orders table of the primary right before the snapshot
  cloudops.runbooks.rds_data_info:
    instance_id: shop-db
    login_secret_id: shop/db/master
    tables: [orders]
  register: at_snapshot

- name: Prove the restored copy holds the data of the snapshot
  cloudops.runbooks.rds_data_verify:
    instance_id: shop-db-restore-test
    login_secret_id: shop/db/master
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/rds-global-bundle.pem
    checks:
      - name: every order is back
        row_count:
          table: orders
          equals: "{{ at_snapshot.tables[0].rows }}"
      - name: orders are unchanged
        checksum:
          table: orders
          equals: "{{ at_snapshot.tables[0].checksum }}"
      - name: the newest order is from the restore point
        newest:
          table: orders
          column: created_at
          not_before: "{{ point.restore_point.time }}"
      - name: no order without items
        sql: SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)
        expect: 0
      - name: the order statuses the application knows
        sql: SELECT DISTINCT status FROM orders ORDER BY status
        expect: [cancelled, paid, placed, shipped]
  register: verified
"""

RETURN = r"""
instance_id:
  description: The instance identifier.
  returned: success
  type: str
  sample: shop-db-restore-test
endpoint:
  description: Where the module connected (as in M(cloudops.runbooks.rds_data_info)).
  returned: success
  type: dict
  contains:
    address:
      description: Host name or IP address.
      type: str
      sample: 127.0.0.1
    port:
      description: TCP port.
      type: int
      sample: 5432
    address_source:
      description: V(api) (the instance's C(Endpoint.Address)) or V(login_host).
      type: str
      sample: login_host
    port_source:
      description: V(api) (the instance's C(Endpoint.Port)) or V(port).
      type: str
      sample: api
database:
  description: The database checked.
  returned: success
  type: str
  sample: shop
user:
  description: The user logged in as.
  returned: success
  type: str
  sample: shop_admin
connect_attempts:
  description: Connection attempts made before the server accepted one.
  returned: success
  type: int
  sample: 1
in_recovery:
  description: Whether the server is a standby (C(pg_is_in_recovery())).
  returned: success
  type: bool
  sample: false
checks:
  description: One result per check, in the order declared (also returned when the task fails on a mismatch).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The check's name.
      type: str
      sample: every order is back
    kind:
      description: V(row_count), V(checksum), V(newest) or V(sql).
      type: str
      sample: row_count
    passed:
      description: Whether the check passed.
      type: bool
      sample: true
    expected:
      description: What was expected (bounds, checksum, mark or the O(checks[].expect) value).
      type: raw
      sample: {equals: 3000}
    actual:
      description: What the database returned (row count, checksum, newest value, the query's value or rows).
      type: raw
      sample: 3000
    message:
      description: The outcome in words.
      type: str
      sample: public.orders has 3000 rows
passed:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
failed_count:
  description: How many checks did not pass.
  returned: always
  type: int
  sample: 0
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here one gate per data check (its name,
      passed, message, and the expected and actual values)."
  returned: when the checks ran
  type: dict
  version_added: 1.0.0
  sample:
    detail: 2 of 2 data check(s) passed on shop-db-restore
    measures: {checks: 2, failed: 0}
    gates:
    - name: orders present
      passed: true
      detail: 1200 rows
      numbers: {kind: min_rows, expected: 1, actual: 1200}
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks
from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres
from ansible_collections.cloudops.runbooks.plugins.module_utils._db.connect import connection_options, open_connection

TABLE = dict(type="str", required=True)
CHECK_SPEC = dict(
    name=dict(type="str", required=True),
    row_count=dict(type="dict", options=dict(table=TABLE, min=dict(type="int"), max=dict(type="int"), equals=dict(type="int"))),
    checksum=dict(type="dict", options=dict(table=TABLE, equals=dict(type="str", required=True))),
    newest=dict(type="dict", options=dict(table=TABLE, column=dict(type="str", required=True), not_before=dict(type="str"),
                                          min_value=dict(type="raw"))),
    sql=dict(type="str"),
    expect=dict(type="raw"),
)


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
        checks=dict(type="list", elements="dict", required=True, options=CHECK_SPEC),
        default_schema=dict(type="str", default="public"),
        statement_timeout=dict(type="int", default=600),
        fail_on_mismatch=dict(type="bool", default=True),
    )
    argument_spec.update(connection_options())
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=postgres.PSYCOPG_IMPORT_ERROR)
    params = module.params
    if params["statement_timeout"] < 0:
        module.fail_json(msg="statement_timeout must be 0 (no limit) or more seconds")
    try:
        plans = data_checks.plan_checks(params["checks"], params["default_schema"])
    except data_checks.CheckError as e:
        module.fail_json(msg=str(e))

    instance_id = params["instance_id"]
    instance = rds.describe_instance(module, client(module, "rds"), instance_id)
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region" % (instance_id, module.region))
    conn, facts = open_connection(module, instance)
    where = "database %s at %s:%s" % (facts["database"], facts["endpoint"]["address"], facts["endpoint"]["port"])
    try:
        read = postgres.run_queries(conn, [plan["query"] for plan in plans], params["statement_timeout"], data_checks.MAX_ROWS)
    except (database.DatabaseError, postgres.ReadFailed) as e:
        module.fail_json(msg="%s (%s)" % (facts["settings"].scrub(e), where))
    finally:
        postgres.close(conn)

    results = [data_checks.evaluate(plan, outcome) for plan, outcome in zip(plans, read["outcomes"])]
    passed, failed_count = data_checks.summarize(results)
    output = dict(
        changed=False,
        instance_id=instance["DBInstanceIdentifier"],
        endpoint=facts["endpoint"],
        database=facts["database"],
        user=facts["user"],
        connect_attempts=facts["connect_attempts"],
        in_recovery=read["in_recovery"],
        checks=results,
        passed=passed,
        failed_count=failed_count,
    )
    output["step_summary"] = data_checks.verify_step_summary(output)
    if not passed and params["fail_on_mismatch"]:
        module.fail_json(msg=data_checks.failure_message(results, instance_id) + " (%s)" % where, **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
