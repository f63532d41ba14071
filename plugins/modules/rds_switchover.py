#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_switchover
version_added: 1.0.0
short_description: Prove by data that an RDS PostgreSQL read replica has caught up with its source, and switch over to it
description:
  - A failback's planned switchover, with no data lost. The source (O(source_instance_id), the database production
    writes to) and the replica (O(instance_id), its cross-region read replica in the module's region) are given.
  - O(action=catchup) writes one marker row to the source (module cloudops.runbooks.rds_drill_markers' table and
    columns) and waits until the replica holds it, within O(timeout); everything committed on the source before the
    marker is then on the replica. A replica that does not get it in time fails the task with the lag (at least the
    marker's age), nothing else changed.
  - O(action=switchover) is the same proof once the writes have stopped (run it after the application is scaled to
    zero or in maintenance mode), then promotes the replica (C(PromoteReadReplica)), waits until it is available,
    detached and writable, and deletes the run's marker rows from it (O(purge)). The marker read back before the
    promotion is the proof that the RPO is 0 (RV(rpo_rows)).
  - Idempotent. A replica that is already promoted (standalone) and carries the tag C(cloudops:failback-run) with the
    value O(run_id) (the failback tags the replica it creates) is this switchover done by an interrupted run; it is
    left as it is (the run's markers still purged). Any other standalone instance is refused, nothing changed.
  - Check mode reads the instances and predicts; nothing is written. A replica that does not exist yet (check mode of
    a failback that would create it first) is predicted too.
options:
  instance_id:
    description: The read replica (in the module's region) to prove caught up and, with O(action=switchover), to promote.
    type: str
    required: true
  source_instance_id:
    description: The replica's source, the database production writes to.
    type: str
    required: true
  source_region:
    description: Region of O(source_instance_id); default the module's region.
    type: str
  action:
    description: V(catchup) proves the replica caught up; V(switchover) proves it after the writes stopped and promotes it.
    type: str
    required: true
    choices: [catchup, switchover]
  run_id:
    description: The run the marker rows belong to (reads and purges see only its rows).
    type: str
    required: true
  table:
    description: The markers table, C(schema.table) or C(table) in C(public); created on the source when missing.
    type: str
    default: cloudops_drill_markers
  timeout:
    description: Seconds to wait for the marker on the replica.
    type: int
    default: 300
  backup_retention_period:
    description: With O(action=switchover), the promoted instance's automated backup retention (days).
    type: int
  wait_timeout:
    description: With O(action=switchover), seconds to wait for the promoted instance to be available and writable.
    type: int
    default: 1800
  purge:
    description: With O(action=switchover), delete the run's marker rows from the promoted instance afterwards.
    type: bool
    default: true
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.database
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The primary region's replica has caught up with DR
  cloudops.runbooks.rds_switchover:
    action: catchup
    instance_id: shop-db
    region: eu-west-1
    source_instance_id: shop-db-dr
    source_region: eu-central-1
    run_id: failback-prod-20260201T090000
    login_secret_id: shop/db/master
    timeout: 1800

- name: Writes stopped - prove lag 0, promote
  cloudops.runbooks.rds_switchover:
    action: switchover
    instance_id: shop-db
    region: eu-west-1
    source_instance_id: shop-db-dr
    source_region: eu-central-1
    run_id: failback-prod-20260201T090000
    login_secret_id: shop/db/master
    backup_retention_period: 7
"""

RETURN = r"""
instance:
  description: The replica (after O(action=switchover), the promoted instance) - C(id), C(status), C(endpoint), C(role).
  returned: always
  type: dict
  sample: {id: shop-db, status: available, endpoint: {address: shop-db.abc.eu-west-1.rds.amazonaws.com, port: 5432}, role: standalone}
caught_up:
  description: Whether the replica holds the marker written on the source (null in check mode).
  returned: always
  type: bool
  sample: true
marker_seq:
  description: Sequence number of the marker written on the source (null in check mode or when already switched over).
  returned: always
  type: int
  sample: 2
marker_written_at:
  description: When the source committed the marker (ISO 8601 UTC).
  returned: always
  type: str
  sample: '2026-02-01T09:10:00.125000+00:00'
wait_seconds:
  description: Seconds from the marker's commit until the replica was seen holding it.
  returned: always
  type: float
  sample: 0.75
lag_seconds:
  description: The lag the marker showed (0 once caught up; at the timeout, at least the marker's age).
  returned: always
  type: float
  sample: 0.0
promoted:
  description: Whether this run promoted the replica (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
promote_seconds:
  description: Seconds from the promote call until the instance was available, detached and writable.
  returned: O(action=switchover)
  type: float
  sample: 42.5
promoted_at:
  description: When the promoted instance was seen writable (ISO 8601 UTC).
  returned: O(action=switchover)
  type: str
  sample: '2026-02-01T09:11:00.500000+00:00'
rpo_rows:
  description: Markers written on the source that the replica lacked at the switchover (0 proves RPO 0).
  returned: O(action=switchover)
  type: int
  sample: 0
purged:
  description: The run's marker rows deleted from the promoted instance.
  returned: O(action=switchover)
  type: int
  sample: 2
endpoint:
  description: Where the module connected to the replica (as in M(cloudops.runbooks.rds_data_info)).
  returned: when the replica was read
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
source_id:
  description: The source instance.
  returned: always
  type: str
  sample: shop-db-dr
instance_id:
  description: The replica.
  returned: always
  type: str
  sample: shop-db
step_summary:
  description: The run as a runbook step - C(detail), C(measures), C(gates) (C(replica caught up) or C(RPO 0 by data)).
  returned: success
  type: dict
  sample: {detail: 'lag 0 proven by marker 2; shop-db promoted', measures: {marker_seq: 2, wait_seconds: 0.75}, gates: []}
"""

import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils import failback
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres
from ansible_collections.cloudops.runbooks.plugins.module_utils._db.connect import connection_options, open_connection


def view(instance):
    if not instance:
        return None
    out = backup.instance_summary(instance)
    return {"id": out["id"], "status": out["status"], "endpoint": out["endpoint"], "role": replication.replication_role(instance)[0],
            "source": instance.get("ReadReplicaSourceDBInstanceIdentifier")}


class Switchover(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.schema, self.table = database.split_table_name(self.params["table"], "public")
        self.last_error = ""
        self.result = dict(changed=False, instance=None, caught_up=None, marker_seq=None, marker_written_at=None, wait_seconds=None,
                           lag_seconds=None, promoted=False, source_id=self.params["source_instance_id"], instance_id=self.params["instance_id"],
                           check_mode=module.check_mode)

    def fail(self, msg):
        self.module.fail_json(msg=msg, **self.result)

    def connect(self, instance):
        conn, facts = open_connection(self.module, instance)
        return conn, facts

    def marker_on_source(self, source):
        conn, facts = self.connect(source)
        try:
            written = markers.write(conn, self.schema, self.table, self.params["run_id"], 1)
        except markers.MarkerFailed as e:
            self.fail("Writing the marker on %s failed: %s" % (source["DBInstanceIdentifier"], facts["settings"].scrub(e)))
        finally:
            postgres.close(conn)
        seq, when = written[-1]
        self.result.update(marker_seq=int(seq), marker_written_at=backup.iso(when))
        return int(seq), when

    def wait_marker(self, replica, seq, written_epoch, timeout):
        conn, facts = self.connect(replica)
        self.result["endpoint"] = facts["endpoint"]
        try:
            def probe():
                try:
                    return [s for s, dummy in markers.read(conn, self.schema, self.table, self.params["run_id"])["present"]]
                except markers.MarkerFailed:
                    return []
            done = waiting.poll_until(probe, lambda present: failback.caught_up(seq, present), timeout)
        finally:
            postgres.close(conn)
        now = time.time()
        if done["done"]:
            self.result.update(caught_up=True, lag_seconds=0.0, wait_seconds=round(max(0.0, now - written_epoch), 3))
            return True
        lag = failback.lag_seconds(written_epoch, now)
        self.result.update(caught_up=False, lag_seconds=lag)
        self.fail(failback.catchup_refusal(replica["DBInstanceIdentifier"], self.params["source_instance_id"], timeout, lag))
        return False

    def purge(self, instance):
        """Delete the run's markers once the promoted instance takes writes (retried while it is still read-only)."""
        conn, facts = self.connect(instance)

        def attempt():
            try:
                return markers.purge(conn, self.schema, self.table, self.params["run_id"])
            except markers.MarkerFailed as e:
                self.last_error = facts["settings"].scrub(e)
                return None

        try:
            done = waiting.poll_until(attempt, lambda deleted: deleted is not None, self.params["wait_timeout"])
        finally:
            postgres.close(conn)
        if not done["done"]:
            self.fail("%s is promoted but did not take writes within %s s: %s"
                      % (instance["DBInstanceIdentifier"], self.params["wait_timeout"], self.last_error))
        return done["result"]


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True),
        source_instance_id=dict(type="str", required=True),
        source_region=dict(type="str"),
        action=dict(type="str", required=True, choices=["catchup", "switchover"]),
        run_id=dict(type="str", required=True),
        table=dict(type="str", default="cloudops_drill_markers"),
        timeout=dict(type="int", default=300),
        backup_retention_period=dict(type="int"),
        wait_timeout=dict(type="int", default=1800),
        purge=dict(type="bool", default=True),
    )
    argument_spec.update(connection_options())
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=postgres.PSYCOPG_IMPORT_ERROR)
    params = module.params
    for name in ("timeout", "wait_timeout"):
        if params[name] < 0:
            module.fail_json(msg="%s must be 0 or more seconds" % name)
    if not params["run_id"].strip():
        module.fail_json(msg="run_id is empty: name the failback run the markers belong to")
    try:
        work = Switchover(module)
    except database.DatabaseError as e:
        module.fail_json(msg=str(e))
    result = work.result
    conn = client(module, "rds")
    replica = rds.describe_instance(module, conn, params["instance_id"])
    source_region = params["source_region"] or module.region
    source = rds.describe_instance(module, client(module, "rds", region=source_region), params["source_instance_id"])
    result["instance"] = view(replica)
    switching = params["action"] == "switchover"
    role = replication.replication_role(replica)[0] if replica else None

    if module.check_mode:
        result.update(promoted=switching, changed=True, rpo_rows=0 if switching else None)
        result["step_summary"] = (failback.switchover_summary if switching else failback.catchup_summary)(
            dict(result, wait_seconds=0.0, caught_up=None))
        if switching:
            result["msg"] = "check mode: %s would be promoted after the marker proof" % params["instance_id"]
        else:
            result["msg"] = "check mode: a marker would be written on %s and waited for on %s" % (params["source_instance_id"], params["instance_id"])
        module.exit_json(**result)

    if replica is None:
        work.fail("%s not found in %s: the failback's replica step creates it (a cross-region read replica of %s)"
                  % (params["instance_id"], module.region, params["source_instance_id"]))
    if switching and replica.get("DBInstanceStatus") != backup.AVAILABLE:
        # An interrupted run's promotion may be under way (RDS shows "modifying"): let it finish, then decide.
        done = waiting.poll_until(lambda: rds.describe_instance(module, conn, params["instance_id"]),
                                  lambda found: found is None or found.get("DBInstanceStatus") == backup.AVAILABLE
                                  or found.get("DBInstanceStatus") in backup.INSTANCE_FAILED,
                                  params["wait_timeout"])
        if done["result"] is None or done["result"].get("DBInstanceStatus") != backup.AVAILABLE:
            work.fail("%s is %s, not available, after %s s: see its RDS events, then run the failback again"
                      % (params["instance_id"], (done["result"] or {}).get("DBInstanceStatus", "gone"), params["wait_timeout"]))
        replica = done["result"]
        role = replication.replication_role(replica)[0]
        result["instance"] = view(replica)
    if switching and role == replication.STANDALONE:
        # Promoted by an interrupted run of this failback: its replica step tagged the instance it created with the run id.
        tags = dict((t.get("Key"), t.get("Value")) for t in replica.get("TagList") or [])
        if tags.get(failback.RUN_TAG) != params["run_id"]:
            work.fail("%s is standalone and was not created by this failback (tag %s: %s, this run %s): it is not the replica this "
                      "failback proved caught up. Nothing was changed; find out what it is before running the failback again."
                      % (params["instance_id"], failback.RUN_TAG, tags.get(failback.RUN_TAG) or "none", params["run_id"]))
        result.update(caught_up=True, rpo_rows=0, lag_seconds=0.0, wait_seconds=0.0, promote_seconds=None, promoted_at=None)
        result["purged"] = work.purge(replica) if params["purge"] else 0
        result.update(changed=bool(result["purged"]), msg="%s already promoted by this failback" % params["instance_id"])
        result["step_summary"] = failback.switchover_summary(result)
        module.exit_json(**result)
    if source is None:
        work.fail("source %s not found in %s: check source_instance_id and source_region" % (params["source_instance_id"], source_region))
    if role != replication.REPLICA:
        work.fail("%s is %s, not a read replica of %s: nothing to %s" % (params["instance_id"], role, params["source_instance_id"], params["action"]))

    seq, when = work.marker_on_source(source)
    result["changed"] = True  # a marker row was written
    work.wait_marker(replica, seq, when.timestamp(), params["timeout"])
    if not switching:
        result["step_summary"] = failback.catchup_summary(result)
        result["msg"] = "%s caught up with %s" % (params["instance_id"], params["source_instance_id"])
        module.exit_json(**result)

    result["rpo_rows"] = 0
    watch = timing.Stopwatch()
    rds_failover.promote_read_replica(module, conn, params["instance_id"], params["backup_retention_period"], changed=True,
                                      marker_seq=result["marker_seq"])
    result["promoted"] = True
    done = waiting.poll_until(lambda: rds.describe_instance(module, conn, params["instance_id"]),
                              lambda found: found is None or (found.get("DBInstanceStatus") == backup.AVAILABLE and replication.detached(found)),
                              params["wait_timeout"])
    found = done["result"]
    if not done["done"] or found is None:
        work.fail("%s was promoted but is not available and detached after %s s: raise wait_timeout or run the failback again (it "
                  "resumes)" % (params["instance_id"], params["wait_timeout"]))
    result["purged"] = work.purge(found) if params["purge"] else 0
    times = watch.stop()
    result.update(instance=view(found), promote_seconds=times["duration_seconds"], promoted_at=times["finished_at"])
    result["step_summary"] = failback.switchover_summary(result)
    result["msg"] = "%s promoted after the marker proof (RPO 0)" % params["instance_id"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
