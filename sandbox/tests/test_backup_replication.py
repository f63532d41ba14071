"""Cross-region replicated automated backups (sandbox/rdsdata/backup_replication.py), through the RDS API and SQL.

On an instance of its own (the seeded estate stays as seeded): replication started in DR, the DR window trails the
source by the delay, a restore in DR at the latest time has the commits older than the delay and lacks the newer
ones, the pause knob freezes the window, a time outside it is refused and creates nothing.
"""
import datetime as dt
import time

import pytest
from botocore.exceptions import ClientError

from sandbox.knobs import http_json
from sandbox.tests.test_rds_data import (DR_REGION, PRIMARY_REGION, add_orders, cleanup, connect,  # noqa: F401
                                         data_plane, new_primary, rds, wait_until)


def knob(sandbox, **body):
    return http_json(sandbox.info["control"]["url"] + "/rds/backup-replication", body)["replications"]


def window(sandbox, arn):
    got = rds(sandbox, DR_REGION).describe_db_instance_automated_backups(DBInstanceAutomatedBackupsArn=arn)
    return got["DBInstanceAutomatedBackups"][0].get("RestoreWindow") or {}


@pytest.fixture
def replicated(sandbox, cleanup):  # noqa: F811 - the fixture imported above
    src = new_primary(sandbox, "dp-abr")
    cleanup.append((PRIMARY_REGION, "instance", src))
    arn_src = rds(sandbox).describe_db_instances(DBInstanceIdentifier=src)["DBInstances"][0]["DBInstanceArn"]
    got = rds(sandbox, DR_REGION).start_db_instance_automated_backups_replication(
        SourceDBInstanceArn=arn_src, BackupRetentionPeriod=7)["DBInstanceAutomatedBackup"]
    arn = got["DBInstanceAutomatedBackupsArn"]
    yield src, arn_src, arn
    rds(sandbox, DR_REGION).stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn_src)
    rds(sandbox, DR_REGION).delete_db_instance_automated_backup(DBInstanceAutomatedBackupsArn=arn)


def test_restore_in_dr_at_the_latest_time_lacks_the_commits_of_the_last_delay(sandbox, cleanup, replicated):  # noqa: F811
    src, arn_src, arn = replicated
    assert knob(sandbox, delay_seconds=2.0, source_id=src)[0]["delay_seconds"] == 2.0
    listed = rds(sandbox, DR_REGION).describe_db_instance_automated_backups(DBInstanceIdentifier=src)
    assert [b["Status"] for b in listed["DBInstanceAutomatedBackups"]] == ["replicating"]
    assert listed["DBInstanceAutomatedBackups"][0]["DBInstanceArn"] == arn_src
    source_side = rds(sandbox).describe_db_instance_automated_backups(DBInstanceIdentifier=src)
    assert source_side["DBInstanceAutomatedBackups"][0]["DBInstanceAutomatedBackupsReplications"] == [
        {"DBInstanceAutomatedBackupsArn": arn}]

    with connect(sandbox, src) as conn:
        old = add_orders(conn, 1, "old")[0]
        time.sleep(2.5)  # past the delay: replicated
        new = add_orders(conn, 1, "new")[0]
        written = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    latest = window(sandbox, arn)["LatestTime"]
    assert latest < written - dt.timedelta(seconds=1.5)  # trails the source by the delay

    target = f"{src}-dr"
    made = rds(sandbox, DR_REGION).restore_db_instance_to_point_in_time(
        SourceDBInstanceAutomatedBackupsArn=arn, TargetDBInstanceIdentifier=target, UseLatestRestorableTime=True,
        DBInstanceClass="db.t3.medium")["DBInstance"]
    cleanup.append((DR_REGION, "instance", target))
    assert made["DBInstanceArn"].startswith(f"arn:aws:rds:{DR_REGION}:")
    with connect(sandbox, target, DR_REGION) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM orders WHERE id IN (%s, %s)", (old, new))}
    assert ids == {old}
    assert data_plane(sandbox)["errors"] == []


def test_paused_replication_freezes_the_window_and_a_time_past_it_is_refused(sandbox, replicated):
    src, _, arn = replicated
    knob(sandbox, delay_seconds=0.0, source_id=src)
    wait_until(lambda: bool(window(sandbox, arn)), what="a restorable time in DR")
    state = knob(sandbox, paused=True, source_id=src)[0]
    assert state["paused"] is True
    frozen = window(sandbox, arn)["LatestTime"]
    time.sleep(0.5)
    assert window(sandbox, arn)["LatestTime"] == frozen
    with pytest.raises(ClientError) as err:
        rds(sandbox, DR_REGION).restore_db_instance_to_point_in_time(
            SourceDBInstanceAutomatedBackupsArn=arn, TargetDBInstanceIdentifier=f"{src}-late",
            RestoreTime=frozen + dt.timedelta(seconds=0.4))
    assert err.value.response["Error"]["Code"] == "InvalidRestoreFault"
    assert not rds(sandbox, DR_REGION).describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": [f"{src}-late"]}])["DBInstances"]
    knob(sandbox, paused=False, source_id=src)
    wait_until(lambda: window(sandbox, arn)["LatestTime"] > frozen, what="the window moving again")


def test_replication_is_started_in_the_destination_region_only_once(sandbox, replicated):
    _, arn_src, _ = replicated
    with pytest.raises(ClientError) as err:
        rds(sandbox, DR_REGION).start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn_src)
    assert "already replicate" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        rds(sandbox, PRIMARY_REGION).start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn_src)
    assert "destination region" in err.value.response["Error"]["Message"]
