# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover drill's modules on the sandbox, whose replica lag is on the wire: rds_drill_markers measures the RPO of
a promotion made while the replica's replication was paused (the markers written during the pause are really missing
on the promoted database), and purges a run's rows; rds_read_replica deletes the promoted DR instance and rebuilds it as
a cross-region replica of the primary that holds the primary's data and streams new writes; the status_diff filter
loads in Ansible.

What the modules did is read back with boto3 and psycopg, not taken from their own results. Every test that changes the
estate uses fresh_sandbox (reset afterwards).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import uuid

import pytest

from conftest import BIN, REPO, flat, ok, sandbox_fixtures
from test_failover_modules import DR, INVENTORY, PRIMARY, Runner, wait_until

PRIMARY_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"
REPLICA = dict(instance_id="shop-db-dr", region=DR)
DR_SUBNETS = "shop-dr-db-subnets"
TABLE = "public.cloudops_drill_markers"


class Drill(Runner):
    def markers(self, action, instance="shop-db", region=PRIMARY, check=False, diff=False, **variables):
        """rds_drill_markers through tests/integration/playbooks/rds_drill_markers.yml; returns its saved result."""
        proc, saved = self.playbook("rds_drill_markers", "markers", check=check, diff=diff, markers_action=action,
                                    markers_instance=instance, markers_region=region, **variables)
        ok(proc)
        return saved, proc

    def run_rows(self, instance_id, region, run_id):
        """The run's marker seqs on an instance, by SQL (empty when the table does not exist)."""
        with self.connect(instance_id, region) as conn:
            if conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()[0] is None:
                return []
            return [row[0] for row in conn.execute("SELECT seq FROM %s WHERE run_id = %%s ORDER BY seq" % TABLE, (run_id,))]

    def fingerprint(self, instance_id, region):
        proc, saved = self.playbook("rds_data_info", "data", data_instance=instance_id, data_region=region)
        ok(proc)
        return saved


drill, reader = sandbox_fixtures(Drill, "drill", "reader")


def new_run():
    return "drill-%s" % uuid.uuid4().hex[:8]


# ----------------------------------------------------------------------------------------------- rds_drill_markers


# Long (`make test`'s budget): the drill of test_run_evidence.py loses its newest markers to a replica 15 s behind and
# checks they are the missing seqs, through this module.
@pytest.mark.long
def test_markers_written_during_a_replication_pause_are_the_rpo_of_the_promotion(drill):
    run_id = new_run()

    # --check predicts the sequence numbers and writes nothing (not even the table).
    predicted, proc = drill.markers("write", check=True, diff=True, markers_run_id=run_id, markers_count=3)
    assert predicted["changed"] and [m["seq"] for m in predicted["markers"]] == [1, 2, 3]
    assert all(m["written_at"] is None for m in predicted["markers"])
    assert "highest_seq: 0" in proc.stdout and "highest_seq: 3" in proc.stdout  # the --diff
    assert drill.run_rows("shop-db", PRIMARY, run_id) == []

    before, _ = drill.markers("write", markers_run_id=run_id, markers_count=5)
    assert before["changed"] and not before.get("failed") and before["table"] == TABLE and before["in_recovery"] is False
    assert [m["seq"] for m in before["markers"]] == [1, 2, 3, 4, 5]
    assert (before["first"], before["last"]) == (before["markers"][0], before["markers"][-1])
    times = [m["written_at"] for m in before["markers"]]
    assert times == sorted(times) and len(set(times)) == 5  # one committed transaction each, in sequence
    assert drill.run_rows("shop-db", PRIMARY, run_id) == [1, 2, 3, 4, 5]
    wait_until(lambda: drill.run_rows("shop-db-dr", DR, run_id) == [1, 2, 3, 4, 5], what="the replica to receive the markers")

    # A read works on the standby; a write there is refused.
    on_replica, _ = drill.markers("read", instance="shop-db-dr", region=DR, markers_run_id=run_id, markers_written=before["markers"])
    assert on_replica["changed"] is False and on_replica["in_recovery"] is True
    assert (on_replica["present_count"], on_replica["present_max_seq"], on_replica["newest_present_at"]) == (5, 5, times[-1])
    assert (on_replica["missing_count"], on_replica["rpo_rows"], on_replica["rpo_seconds"]) == (0, 0, 0.0)
    refused, _ = drill.markers("write", instance="shop-db-dr", region=DR, markers_run_id=run_id, markers_count=1)
    assert refused["failed"] and "the server is a read-only standby (pg_is_in_recovery): write markers on the primary" in flat(refused["msg"])

    # Replication stops; three more markers reach only the primary.
    drill.knob("replica-lag", "--pause")
    during, _ = drill.markers("write", markers_run_id=run_id, markers_count=3, markers_spread=1.0)
    assert [m["seq"] for m in during["markers"]] == [6, 7, 8]  # continues after the run's highest
    # One call, spread over 1 s: the markers are about half a second apart.
    stamps = [datetime.datetime.fromisoformat(m["written_at"]) for m in during["markers"]]
    assert all(0.4 <= (later - earlier).total_seconds() < 1.5 for earlier, later in zip(stamps, stamps[1:]))
    assert during["step_summary"]["measures"] == {"markers": 3, "first_seq": 6, "last_seq": 8, "spread_seconds": 1.0}
    assert drill.run_rows("shop-db", PRIMARY, run_id) == list(range(1, 9))
    assert drill.run_rows("shop-db-dr", DR, run_id) == [1, 2, 3, 4, 5]

    # The paused lag keeps growing, so the drill accepts it explicitly.
    proc, promoted = drill.playbook("rds_promote", "promote", promote_override=True)
    ok(proc)
    assert promoted["promote"]["promoted"] and promoted["data"]["in_recovery"] is False

    measured, _ = drill.markers("read", instance="shop-db-dr", region=DR, markers_run_id=run_id,
                                markers_written=before["markers"] + during["markers"])
    assert not measured.get("failed") and measured["in_recovery"] is False
    assert (measured["written_count"], measured["present_count"], measured["present_max_seq"]) == (8, 5, 5)
    assert (measured["missing_count"], measured["missing_seqs"], measured["rpo_rows"]) == (3, [6, 7, 8], 3)
    assert measured["rpo_basis"] == "newest_present" and measured["rpo_seconds"] > 0
    lost_from, lost_to = (datetime.datetime.fromisoformat(value) for value in (times[-1], during["last"]["written_at"]))
    assert measured["rpo_seconds"] == round((lost_to - lost_from).total_seconds(), 3)  # marker 5 to marker 8
    assert measured["newest_present_at"] == times[-1]
    assert drill.run_rows("shop-db-dr", DR, run_id) == [1, 2, 3, 4, 5]  # really missing, not just late

    # Purge deletes this run's rows only, on each side, and leaves the table.
    other = new_run()
    drill.markers("write", markers_run_id=other, markers_count=1)
    checked, _ = drill.markers("purge", check=True, markers_run_id=run_id)
    assert checked["changed"] and checked["deleted_count"] == 8 and len(drill.run_rows("shop-db", PRIMARY, run_id)) == 8
    # The drill's verification: read on the promoted database, then purged from the primary, in one call.
    purged, _ = drill.markers("read", instance="shop-db-dr", region=DR, markers_run_id=run_id,
                              markers_written=before["markers"] + during["markers"],
                              markers_purge_from={"instance_id": "shop-db", "region": PRIMARY})
    assert purged["changed"] and purged["deleted_count"] == 8 and purged["purged"] == {"instance_id": "shop-db", "deleted_count": 8}
    assert (purged["rpo_rows"], purged["missing_seqs"]) == (3, [6, 7, 8])  # measured before the purge
    assert purged["step_summary"]["measures"]["deleted"] == 8 and "8 rows purged from shop-db" in purged["step_summary"]["detail"]
    assert drill.run_rows("shop-db", PRIMARY, run_id) == [] and drill.run_rows("shop-db", PRIMARY, other) == [1]
    again, _ = drill.markers("purge", markers_run_id=run_id)
    assert again["changed"] is False and again["deleted_count"] == 0
    on_dr, _ = drill.markers("purge", instance="shop-db-dr", region=DR, markers_run_id=run_id)
    assert on_dr["changed"] and on_dr["deleted_count"] == 5 and drill.run_rows("shop-db-dr", DR, run_id) == []


# ------------------------------------------------------------------------------------------------- rds_read_replica


def test_the_promoted_dr_instance_is_deleted_and_rebuilt_as_a_replica_of_the_primary(drill):
    rds_dr = drill.aws("rds", DR)
    rds_dr.promote_read_replica(DBInstanceIdentifier="shop-db-dr")
    wait_until(lambda: not drill.instance("shop-db-dr", DR).get("ReadReplicaSourceDBInstanceIdentifier"), what="the promotion")
    promoted_port = drill.instance("shop-db-dr", DR)["Endpoint"]["Port"]
    wanted = dict(REPLICA, source_instance=PRIMARY_ARN, db_subnet_group_name=DR_SUBNETS, tags={"Role": "replica"}, wait_timeout=120)

    refused = drill.module("rds_read_replica", **wanted)
    assert refused["failed"] and refused["changed"] is False
    assert ("Refusing to make shop-db-dr a replica, nothing was changed: shop-db-dr exists as a standalone instance "
            "(no replication link), not as a replica of shop-db in us-east-1") in flat(refused["msg"])

    no_choice = drill.module("rds_read_replica", state="absent", **REPLICA)
    assert no_choice["failed"] and "missing: skip_final_snapshot, final_snapshot_id" in no_choice["msg"]
    checked = drill.module("rds_read_replica", check=True, state="absent", skip_final_snapshot=True, **REPLICA)
    assert checked["changed"] and checked["deleted"] and drill.instance("shop-db-dr", DR)["DBInstanceStatus"] == "available"

    deleted = drill.module("rds_read_replica", state="absent", skip_final_snapshot=True, wait_timeout=120, **REPLICA)
    assert not deleted.get("failed") and deleted["changed"] and deleted["deleted"] and deleted["duration_seconds"] >= 0
    assert not rds_dr.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": ["shop-db-dr"]}])["DBInstances"]
    gone = drill.module("rds_read_replica", state="absent", skip_final_snapshot=True, **REPLICA)
    assert not gone.get("failed") and gone["changed"] is False and gone["deleted"] is False

    predicted = drill.module("rds_read_replica", check=True, diff=True, **wanted)
    assert predicted["changed"] and predicted["created"] and predicted["source"] == PRIMARY_ARN
    assert predicted["diff"]["after"]["db_subnet_group_name"] == DR_SUBNETS
    assert not rds_dr.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": ["shop-db-dr"]}])["DBInstances"]

    # By identifier and source_region: the module looks the ARN up, as a cross-region replica needs it.
    created = drill.module("rds_read_replica", **dict(wanted, source_instance="shop-db", source_region=PRIMARY))
    assert not created.get("failed") and created["changed"] and created["created"] and created["source"] == PRIMARY_ARN
    assert created["instance"]["role"] == "replica" and created["instance"]["status"] == "available"
    assert created["duration_seconds"] >= 0 and created["started_at"] <= created["finished_at"]
    found = drill.instance("shop-db-dr", DR)
    assert found["ReadReplicaSourceDBInstanceIdentifier"] == PRIMARY_ARN
    assert found["DBSubnetGroup"]["DBSubnetGroupName"] == DR_SUBNETS and found["Endpoint"]["Port"] != promoted_port
    assert found["DBInstanceArn"] in drill.instance("shop-db", PRIMARY)["ReadReplicaDBInstanceIdentifiers"]

    # The rebuilt replica holds the primary's data, as a standby, and streams new writes.
    primary_data, replica_data = drill.fingerprint("shop-db", PRIMARY), drill.fingerprint("shop-db-dr", DR)
    assert replica_data["in_recovery"] is True and replica_data["fingerprint"] == primary_data["fingerprint"]
    run_id = new_run()
    drill.markers("write", markers_run_id=run_id, markers_count=2)
    wait_until(lambda: drill.run_rows("shop-db-dr", DR, run_id) == [1, 2], what="the rebuilt replica to stream new writes")

    again = drill.module("rds_read_replica", **wanted)  # the other spelling of the same source
    assert not again.get("failed") and again["changed"] is False and again["created"] is False
    assert again["msg"] == "shop-db-dr already replicates from %s" % PRIMARY_ARN

    # RDS takes no final snapshot of a replica: refused before any call. (Deleting a cross-region replica itself is
    # not tried here: moto 5.2.5 answers 500, its source's replica list holds the ARN but it removes the identifier.
    # The unit tests cover that call with botocore's Stubber.)
    snapshot = drill.module("rds_read_replica", state="absent", final_snapshot_id="shop-db-dr-final", **REPLICA)
    assert snapshot["failed"] and "is a read replica: RDS takes no final snapshot of a replica" in flat(snapshot["msg"])
    assert drill.instance("shop-db-dr", DR)["DBInstanceStatus"] == "available"


# ------------------------------------------------------------------------------------------------------ status_diff


def test_status_diff_is_usable_in_a_playbook(reader):
    before = {"collected_at": "t1", "rds": {"replica": {"role": "replica", "endpoint": {"port": 1}}}}
    after = {"collected_at": "t2", "rds": {"replica": {"role": "standalone", "endpoint": {"port": 2}}}}
    expression = "{{ before | cloudops.runbooks.status_diff(after, ignore=['collected_at', 'rds.*.endpoint']) }}"
    proc = subprocess.run([str(BIN / "ansible"), "localhost", "-i", INVENTORY, "-m", "ansible.builtin.debug", "-a",
                           "msg=" + expression, "-e", json.dumps({"before": before, "after": after})],
                          cwd=REPO, env=reader.env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"),
                          capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["msg"] == [{"path": "rds.replica.role", "before": "replica", "after": "standalone"}]
