# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_data_info through ansible-playbook on the sandbox: the inventory's connection settings (Secrets Manager or
inventory credentials, host override) reach the real PostgreSQL behind the emulated RDS instances, and the
fingerprints it returns prove a restore brought back the snapshot-time data."""

from __future__ import annotations

import json
import uuid

import psycopg
from conftest import ok, sandbox_client

PLAYBOOK = "tests/integration/playbooks/rds_data_info.yml"
SEEDED_ROWS = {"customers": 1000, "products": 200, "orders": 3000, "order_items": 7500}
SANDBOX_PASSWORD = "sandbox-only-password"  # sandbox/aws_seed.py MASTER_PASSWORD



def fingerprint(run_playbook, sandbox, tmp_path, **extra):
    out = tmp_path / ("data-%s.json" % uuid.uuid4().hex[:6])
    proc, _ = run_playbook(PLAYBOOK, env=sandbox["env"], extra_vars=dict(extra, data_result_path=str(out)))
    ok(proc)
    return json.loads(out.read_text()), proc


def rds(sandbox, region="us-east-1"):
    return sandbox_client(sandbox, "rds", region)


def test_seeded_primary_and_replica_read_the_same_data(sandbox, run_playbook, tmp_path):
    primary, _ = fingerprint(run_playbook, sandbox, tmp_path)
    assert {t["name"]: t["rows"] for t in primary["tables"]} == SEEDED_ROWS
    assert primary["credential_source"] == "secret" and primary["in_recovery"] is False
    assert (primary["endpoint"]["address"], primary["endpoint"]["address_source"]) == ("127.0.0.1", "login_host")
    assert primary["endpoint"]["port_source"] == "api"

    # The replica in the DR region, this time with credentials from the inventory (as staging keeps them in vault).
    replica, proc = fingerprint(run_playbook, sandbox, tmp_path, data_instance="shop-db-dr", data_region="us-west-2",
                                cloudops_db={"name": "shop", "ssl_mode": "disable", "host_override": "127.0.0.1",
                                             "credentials": {"source": "inventory", "username": "shop_admin",
                                                             "password": SANDBOX_PASSWORD}})
    assert replica["credential_source"] == "options" and replica["in_recovery"] is True
    assert replica["fingerprint"] == primary["fingerprint"]
    assert SANDBOX_PASSWORD not in proc.stdout + proc.stderr


def test_restored_instance_fingerprint_equals_the_snapshot_time_data(sandbox, run_playbook, tmp_path):
    client = rds(sandbox)
    suffix = uuid.uuid4().hex[:6]
    snapshot, restored = "it-snap-%s" % suffix, "it-restored-%s" % suffix
    before, _ = fingerprint(run_playbook, sandbox, tmp_path)
    client.create_db_snapshot(DBInstanceIdentifier="shop-db", DBSnapshotIdentifier=snapshot)
    try:
        port = client.describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]["Endpoint"]["Port"]
        with psycopg.connect(host="127.0.0.1", port=port, user="shop_admin", password=SANDBOX_PASSWORD,
                             dbname="shop", autocommit=True) as conn:
            for _ in range(5):
                conn.execute("INSERT INTO orders (customer_id, status) VALUES (2, 'placed')")
        after, _ = fingerprint(run_playbook, sandbox, tmp_path)
        assert after["totals"]["rows"] == before["totals"]["rows"] + 5

        client.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=restored, DBSnapshotIdentifier=snapshot)
        got, _ = fingerprint(run_playbook, sandbox, tmp_path, data_instance=restored)
        assert got["fingerprint"] == before["fingerprint"] != after["fingerprint"]
        assert got["tables"] == before["tables"]
    finally:
        for call in (lambda: client.delete_db_instance(DBInstanceIdentifier=restored, SkipFinalSnapshot=True),
                     lambda: client.delete_db_snapshot(DBSnapshotIdentifier=snapshot)):
            try:
                call()
            except client.exceptions.ClientError:
                pass
        with psycopg.connect(host="127.0.0.1", port=port, user="shop_admin", password=SANDBOX_PASSWORD,
                             dbname="shop", autocommit=True) as conn:  # the estate as seeded for the next tests
            conn.execute("DELETE FROM orders WHERE id > 3000")


def test_wrong_password_fails_clearly_without_echoing_it(sandbox, run_playbook):
    wrong = "not-the-password-%s" % uuid.uuid4().hex[:6]
    proc, _ = run_playbook(PLAYBOOK, env=sandbox["env"], extra_vars={
        "cloudops_db": {"name": "shop", "ssl_mode": "disable", "host_override": "127.0.0.1",
                        "credentials": {"source": "inventory", "username": "shop_admin", "password": wrong}}})
    assert proc.returncode != 0
    assert "authentication" in " ".join(proc.stdout.split()).lower()
    assert wrong not in proc.stdout + proc.stderr
