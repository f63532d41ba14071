#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_data_info
version_added: 1.0.0
short_description: Fingerprint the data of the PostgreSQL database behind an RDS instance
description:
  - Opens the database of an RDS PostgreSQL instance and reads, per table, the row count and an order-independent
    checksum of the rows, plus one fingerprint over all tables. Comparing fingerprints tells whether a replica,
    a promoted replica or a restored instance holds the same data as its source.
  - The endpoint comes from C(DescribeDBInstances) unless O(login_host) or O(port) override it; RV(endpoint)
    says where each part came from.
  - Credentials come from O(login_user) and O(login_password) or from a Secrets Manager secret (O(login_secret_id)).
  - Everything is read in one read-only C(REPEATABLE READ) transaction, so all tables come from the same
    snapshot. The session's output formats (date style, time zone, float digits, bytea output) are pinned for
    the transaction, so servers with different parameter groups render, and checksum, the same rows the same way.
    A table that another session keeps locked (a migration) for more than 30 s fails the read rather than
    making it wait for ever.
  - Read-only; runs the same in check mode.
options:
  instance_id:
    description:
      - Identifier of the DB instance.
    type: str
    required: true
    aliases: [db_instance_identifier]
  schemas:
    description:
      - Schemas whose tables are read when O(tables) is not given (ordinary and partitioned tables; partitions are
        counted in their parent).
      - The first one is also the schema of a table named in O(tables) without a schema.
    type: list
    elements: str
    default: [public]
  tables:
    description:
      - Tables to read, as C(name) or C(schema.name), instead of every table of O(schemas). Each must exist.
    type: list
    elements: str
  checksums:
    description:
      - Compute a checksum per table (reads every row). With V(false) only row counts are read and
        RV(fingerprint) covers table names and counts only.
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
- name: Fingerprint the primary's orders, credentials from its RDS-managed secret
  cloudops.runbooks.rds_data_info:
    instance_id: shop-db
    region: us-east-1
    login_secret_id: shop/db/master
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/rds-global-bundle.pem
    tables: [orders, order_items]
  register: primary_data

- name: Fingerprint the same tables of the restored copy, through a bastion tunnel on localhost:15432
  cloudops.runbooks.rds_data_info:
    instance_id: shop-db-restore
    region: us-east-1
    login_host: 127.0.0.1
    port: 15432
    ssl_mode: require
    login_user: auditor
    login_password: "{{ vault_auditor_password }}"
    tables: [orders, order_items]
  register: restored_data

- name: The restore holds the same orders as the primary
  ansible.builtin.assert:
    that: restored_data.fingerprint == primary_data.fingerprint
    fail_msg: "Restored rows differ: {{ restored_data.tables }} vs {{ primary_data.tables }}"

- name: Count the rows of every table in two schemas, without checksums
  cloudops.runbooks.rds_data_info:
    instance_id: shop-db-dr
    region: us-west-2
    login_secret_id: arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db/master-AbCdEf
    schemas: [public, billing]
    checksums: false
  register: replica_counts
"""

RETURN = r"""
instance_id:
  description: The instance identifier.
  returned: success
  type: str
  sample: shop-db
region:
  description: Region of the instance (and, unless O(login_secret_id) is an ARN, of the secret).
  returned: success
  type: str
  sample: us-east-1
endpoint:
  description: Where the module connected.
  returned: success
  type: dict
  contains:
    address:
      description: Host name or IP address.
      type: str
      sample: shop-db.abcdefghijkl.us-east-1.rds.amazonaws.com
    port:
      description: TCP port.
      type: int
      sample: 5432
    address_source:
      description: V(api) (the instance's C(Endpoint.Address)) or V(login_host).
      type: str
      sample: api
    port_source:
      description: V(api) (the instance's C(Endpoint.Port)) or V(port).
      type: str
      sample: api
database:
  description: The database read (O(login_db) or the instance's C(DBName)).
  returned: success
  type: str
  sample: shop
user:
  description: The user logged in as.
  returned: success
  type: str
  sample: shop_admin
credential_source:
  description: V(secret) (O(login_secret_id)) or V(options) (O(login_user) and O(login_password)).
  returned: success
  type: str
  sample: secret
connect_attempts:
  description: Connection attempts made before the server accepted one (1 when it was up).
  returned: success
  type: int
  sample: 1
server_version:
  description: The server's C(server_version) setting.
  returned: success
  type: str
  sample: '15.4'
in_recovery:
  description: Whether the server is a standby (C(pg_is_in_recovery()), true on a read replica).
  returned: success
  type: bool
  sample: false
tables:
  description: One entry per table read, sorted by schema and name.
  returned: success
  type: list
  elements: dict
  contains:
    schema:
      description: Schema name.
      type: str
      sample: public
    name:
      description: Table name.
      type: str
      sample: orders
    rows:
      description: Row count.
      type: int
      sample: 2500
    checksum:
      description: >-
        Order-independent checksum of the rows (16 hex digits: the sum of the first 64 bits of each row's
        SHA-256, modulo 2^64); null when O(checksums=false).
      type: str
      sample: 3f2a9c0b1d4e5f60
  sample:
    - {schema: public, name: customers, rows: 500, checksum: 9b1d4e5f603f2a9c}
totals:
  description: Number of tables and their total rows.
  returned: success
  type: dict
  contains:
    tables:
      description: Tables read.
      type: int
      sample: 4
    rows:
      description: Rows over all tables read.
      type: int
      sample: 9000
fingerprint:
  description: >-
    SHA-256 (hex) over every table's schema, name, row count and checksum in schema/name order: equal on two
    databases that hold the same data in the same tables.
  returned: success
  type: str
  sample: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres
from ansible_collections.cloudops.runbooks.plugins.module_utils._db.connect import connection_options, open_connection


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
        schemas=dict(type="list", elements="str", default=["public"]),
        tables=dict(type="list", elements="str"),
        checksums=dict(type="bool", default=True),
    )
    argument_spec.update(connection_options())
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=postgres.PSYCOPG_IMPORT_ERROR)
    params = module.params
    if params["connect_timeout"] < 0:
        module.fail_json(msg="connect_timeout must be 0 or more seconds")
    if not params["schemas"] and params["tables"] is None:
        module.fail_json(msg="schemas is empty: name at least one schema, or list tables")

    instance_id = params["instance_id"]
    instance = rds.describe_instance(module, client(module, "rds"), instance_id)
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region" % (instance_id, module.region))
    try:
        default_schema = params["schemas"][0] if params["schemas"] else "public"
        wanted = None
        if params["tables"] is not None:
            wanted = [database.split_table_name(name, default_schema) for name in params["tables"]]
    except database.DatabaseError as e:
        module.fail_json(msg=str(e))

    conn, facts = open_connection(module, instance)
    endpoint, dbname = facts["endpoint"], facts["database"]
    try:
        data = postgres.read_fingerprint(conn, params["schemas"], wanted, params["checksums"])
    except (database.DatabaseError, postgres.ReadFailed) as e:
        module.fail_json(msg="%s (database %s at %s:%s)" % (facts["settings"].scrub(e), dbname, endpoint["address"], endpoint["port"]))
    finally:
        postgres.close(conn)

    totals, fingerprint = database.summarize(data["tables"])
    module.exit_json(
        changed=False,
        instance_id=instance["DBInstanceIdentifier"],
        region=module.region,
        endpoint=endpoint,
        database=dbname,
        user=facts["user"],
        credential_source=facts["credential_source"],
        connect_attempts=facts["connect_attempts"],
        server_version=data["server_version"],
        in_recovery=data["in_recovery"],
        tables=data["tables"],
        totals=totals,
        fingerprint=fingerprint,
    )


if __name__ == "__main__":
    main()
