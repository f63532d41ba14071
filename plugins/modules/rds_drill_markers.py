#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_drill_markers
version_added: 1.0.0
short_description: Write sequence-numbered marker rows to an RDS PostgreSQL database and measure the RPO by the ones a copy lacks
description:
  - A failover drill measures its recovery point by data, not by a lag metric. Before the cut it writes marker rows to
    the primary (O(action=write)); after the promotion it reads them on the promoted database (O(action=read)) with the
    markers it wrote (O(written)); the ones missing there are the data the failover lost, as rows (RV(rpo_rows)) and
    seconds (RV(rpo_seconds)). After the drill O(action=purge) deletes the run's rows.
  - The markers live in O(table) (created with C(CREATE TABLE IF NOT EXISTS) by the first write; columns C(seq bigint),
    C(run_id text), C(written_at timestamptz) defaulting to C(clock_timestamp), primary key on C(run_id) and C(seq)). Each O(run_id)
    numbers its markers 1, 2, 3, ...; a later write of the same run continues after its highest C(seq).
  - O(action=write) inserts O(count) rows one after the other on one connection, each in its own committed
    transaction, so each one marks a moment; C(written_at) is the server's clock at the insert. With O(spread_seconds)
    the rows are spread evenly over that many seconds (the first at once, the last O(spread_seconds) later), so one
    call marks the whole run-up to a cut. Refused on a read-only standby.
  - O(action=read) reads the run's rows in one read-only transaction; it works on a read replica too (a standby shows
    what it has received so far). With O(written), RV(missing_seqs) are the written markers the database lacks, and
    RV(rpo_seconds) is the span of writes lost, from the newest marker present that was written before the first
    missing one to the newest missing marker (0 when nothing is missing). When the database has none of the run's
    markers written before the first missing one, it is the span of the missing markers plus the gap before the
    first, estimated as their mean spacing (a lower bound; RV(rpo_basis) is then V(none_present)). Write a first
    batch well before the cut, so the newest present marker bounds the loss.
  - O(action=purge) deletes the run's rows and nothing else (the table stays, with other runs' rows).
  - The endpoint, credentials and TLS settings are those of M(cloudops.runbooks.rds_data_info). The login user needs
    C(CREATE) on the schema for the first write, then C(SELECT), C(INSERT) and C(DELETE) on the table.
  - Check mode connects and reads (read-only) to predict honestly; a write returns the sequence numbers it would use
    (C(written_at) null) without waiting out O(spread_seconds), a purge the rows it would delete; nothing is
    written. C(--diff) shows the run's highest
    sequence number (write) or row count (purge) before and after.
options:
  instance_id:
    description:
      - Identifier of the DB instance (the primary for O(action=write); the promoted or replica instance to measure for
        O(action=read)).
    type: str
    required: true
    aliases: [db_instance_identifier]
  endpoint:
    description:
      - The instance's endpoint as the run already read it (a drill passes what its status before and its promotion
        read). With O(login_db) also given, the instance is then not described (no DescribeDBInstances); the
        connection itself shows whether it is there.
    type: dict
    version_added: 1.1.0
    suboptions: &endpoint
      address: {description: Its address., type: str, required: true}
      port: {description: Its port., type: int, required: true}
  run_id:
    description:
      - The drill run the markers belong to, for example its run directory's name. Reads and purges only see this
        run's rows.
    type: str
    required: true
  action:
    description:
      - V(write) markers, V(read) them (and measure the RPO with O(written)), or V(purge) the run's rows.
    type: str
    required: true
    choices: [write, read, purge]
  count:
    description:
      - With O(action=write), how many marker rows to write (default 1).
    type: int
  spread_seconds:
    description:
      - With O(action=write), the seconds over which the O(count) rows are written, evenly (0, the default, writes
        them back to back). The runbooks pass O(count) - 1 times their marker interval (C(interval_seconds), 0.5 by
        default).
    type: float
    version_added: 1.0.0
  table:
    description:
      - Table of the markers, as C(name) (in the C(public) schema) or C(schema.name).
    type: str
    default: cloudops_drill_markers
  purge_from:
    description:
      - With O(action=read), once the markers are read, also delete the run's rows from this instance (the primary the
        drill wrote them to), on a second connection with the same login settings, in the same module process - a
        drill's verification both measures and cleans up (and the rows are gone before the replica is re-created from
        the primary). RV(deleted_count) and RV(purged) say what was deleted (in check mode, would be).
    type: dict
    version_added: 1.0.0
    suboptions:
      instance_id: {description: Identifier of the instance to purge the rows from., type: str, required: true}
      region: {description: Its region (default the module's)., type: str}
      endpoint:
        description: Its endpoint as the run already read it (not described then, as with O(endpoint)).
        type: dict
        version_added: 1.1.0
        suboptions: *endpoint
  cache:
    description:
      - The estate's ElastiCache Global Datastore (C(cloudops_cache)) - each marker is also written as a key to its
        primary group (C(cloudops-drill:<run_id>:<seq>), expiring after a day), right after the row of the same
        C(seq). O(action=write) then reads which keys its secondary (DR) group holds (at the cut); O(action=read)
        with O(written) reads them on the secondary group (once it was promoted, the cache's RPO); a purge deletes
        them on whichever group takes writes.
    type: dict
    version_added: 1.1.0
    suboptions:
      global_datastore_id: {description: The Global Datastore's full id., type: str, required: true}
      primary:
        description: The primary replication group.
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
      secondary:
        description: The DR replication group.
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
  buckets:
    description:
      - The S3 buckets replicated to DR (C(cloudops_buckets)) - each marker is also written as an object under the
        bucket's O(buckets[].prefix) (C(cloudops-drill/<run_id>/<seq>)) to the source bucket. O(action=write) then
        lists which ones the DR bucket holds just after the last marker - at the cut, the buckets' RPO (replication
        goes on after it; a region lost at the cut would leave only those) - and a purge deletes every version of
        them from both buckets.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      name: {description: The source bucket., type: str, required: true}
      dr_name: {description: Its copy in DR., type: str, required: true}
      prefix: {description: Only keys under it are replicated (the markers go under it)., type: str, default: ""}
      region: {description: The source bucket's region (default O(regions.primary))., type: str}
      dr_region: {description: The DR bucket's region (default O(regions.dr))., type: str}
  regions:
    description: The estate's regions (C(cloudops_regions)), the default regions of O(buckets).
    type: dict
    version_added: 1.1.0
    suboptions:
      primary: {description: The primary region., type: str}
      dr: {description: The DR region., type: str}
  written:
    description:
      - With O(action=read), the markers written to the primary, the RV(markers) lists of the run's writes (one list,
        or several concatenated). Without it only what is present is reported.
    type: list
    elements: dict
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.database
  - cloudops.runbooks.cache_connection
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Mark the primary's data before the cut
  cloudops.runbooks.rds_drill_markers:
    instance_id: shop-db
    region: us-east-1
    login_secret_id: shop/db/master
    run_id: "{{ drill_run_id }}"
    action: write
    count: 10
    spread_seconds: 4.5  # one marker every half second, up to the cut
  register: markers_before

- name: Measure the RPO on the promoted replica
  cloudops.runbooks.rds_drill_markers:
    instance_id: shop-db-dr
    region: us-west-2
    login_secret_id: shop/db/master
    run_id: "{{ drill_run_id }}"
    action: read
    written: "{{ markers_before.markers + markers_at_cut.markers }}"
  register: rpo

- name: Report it
  ansible.builtin.debug:
    msg: "RPO {{ rpo.rpo_rows }} rows, {{ rpo.rpo_seconds }} s (missing {{ rpo.missing_seqs }})"

- name: Measure the RPO on the promoted replica and remove the markers from the primary, in one call
  cloudops.runbooks.rds_drill_markers:
    instance_id: shop-db-dr
    region: us-west-2
    login_secret_id: shop/db/master
    run_id: "{{ drill_run_id }}"
    action: read
    written: "{{ markers_before.markers }}"
    purge_from: {instance_id: shop-db, region: us-east-1}
- name: Remove the drill's rows from the primary
  cloudops.runbooks.rds_drill_markers:
    instance_id: shop-db
    region: us-east-1
    login_secret_id: shop/db/master
    run_id: "{{ drill_run_id }}"
    action: purge
"""

RETURN = r"""
instance_id:
  description: The instance identifier.
  returned: success
  type: str
  sample: shop-db-dr
run_id:
  description: The run.
  returned: always
  type: str
  sample: drill-20260131T120000
action:
  description: The action done.
  returned: always
  type: str
  sample: read
table:
  description: The markers table, C(schema.name).
  returned: always
  type: str
  sample: public.cloudops_drill_markers
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
  description: The database used.
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
  description: Whether the server is a standby (C(pg_is_in_recovery)).
  returned: success
  type: bool
  sample: false
markers:
  description:
    - The markers written, in order (in check mode the ones that would be, with C(written_at) null). Pass them (or
      several writes' lists concatenated) as O(written) to a read.
    - Also returned by a write that failed part-way, with the rows already committed.
  returned: O(action=write)
  type: list
  elements: dict
  contains:
    seq:
      description: The marker's sequence number in its run.
      type: int
      sample: 11
    written_at:
      description: The server's time of the insert (ISO 8601, UTC); null in check mode.
      type: str
      sample: '2026-01-31T12:00:00.125000+00:00'
first:
  description: The first marker of RV(markers).
  returned: O(action=write)
  type: dict
  sample: {seq: 1, written_at: '2026-01-31T12:00:00.125000+00:00'}
last:
  description: The last marker of RV(markers).
  returned: O(action=write)
  type: dict
  sample: {seq: 10, written_at: '2026-01-31T12:00:00.250000+00:00'}
table_exists:
  description: Whether the markers table exists on the database read (false before the first write reached it).
  returned: O(action=read)
  type: bool
  sample: true
present_count:
  description: How many of the run's markers the database has.
  returned: O(action=read)
  type: int
  sample: 10
present_max_seq:
  description: The highest sequence number present; null when none.
  returned: O(action=read)
  type: int
  sample: 10
newest_present_at:
  description: C(written_at) of the newest marker present (ISO 8601, UTC); null when none.
  returned: O(action=read)
  type: str
  sample: '2026-01-31T12:00:00.250000+00:00'
written_count:
  description: How many distinct markers O(written) lists.
  returned: O(action=read) with O(written)
  type: int
  sample: 13
missing_count:
  description: How many of the O(written) markers the database lacks.
  returned: O(action=read) with O(written)
  type: int
  sample: 3
missing_seqs:
  description: Their sequence numbers, ascending.
  returned: O(action=read) with O(written)
  type: list
  elements: int
  sample: [11, 12, 13]
rpo_rows:
  description: The RPO in rows (RV(missing_count)).
  returned: O(action=read) with O(written)
  type: int
  sample: 3
rpo_seconds:
  description:
    - The RPO in seconds, the span of writes lost (see the description); 0 when nothing is missing, null when a missing
      marker has no C(written_at) (written in check mode).
  returned: O(action=read) with O(written)
  type: float
  sample: 12.5
rpo_basis:
  description:
    - V(nothing_missing), V(newest_present) (measured from the newest marker present) or V(none_present) (no earlier
      marker present; an estimate, see the description); null when RV(rpo_seconds) is.
  returned: O(action=read) with O(written)
  type: str
  sample: newest_present
purged:
  description: With O(purge_from), C(instance_id) and C(deleted_count) of the purge after the read.
  returned: O(action=read) with O(purge_from)
  type: dict
  sample: {instance_id: shop-db, deleted_count: 8}
deleted_count:
  description: The run's rows deleted (in check mode, that would be).
  returned: O(action=purge), O(action=read) with O(purge_from)
  type: int
  sample: 13
stores:
  description:
    - With O(cache) or O(buckets) - what each store's DR copy holds of the markers written - after a write, the buckets
      and the cache at the cut (C(moment=cut)); after a read with O(written), the cache once promoted
      (C(moment=promoted)). Each item - C(kind) (cache or bucket), C(resource), C(written_count), C(present_count),
      C(missing_count), C(missing_seqs), C(rpo_rows), C(rpo_seconds), C(rpo_basis), C(moment).
  returned: when O(cache) or O(buckets) is given, not in check mode
  type: list
  elements: dict
  version_added: 1.1.0
  sample: [{kind: bucket, resource: shop-assets-usw2, written_count: 8, present_count: 7, missing_count: 1, missing_seqs: [8],
            rpo_rows: 1, rpo_seconds: 0.5, rpo_basis: newest_present, moment: cut}]
stores_purged:
  description: With O(cache) or O(buckets), the markers each store's purge deleted - C({kind, resource, deleted}).
  returned: a purge, or a read with O(purge_from), with O(cache) or O(buckets)
  type: list
  elements: dict
  version_added: 1.1.0
  sample: [{kind: cache, resource: shop-cache-dr, deleted: 8}]
step_summary:
  description:
    - The action as a runbook step - C(detail) (one line for the report), C(measures) (C(markers), C(first_seq),
      C(last_seq), C(spread_seconds) of a write; C(present), C(written), C(rpo_rows), C(rpo_seconds) of a read;
      C(deleted) of a purge) and C(gates) (a read with O(written) - C(markers on <instance>), no pass/fail, with the
      counts and the RPO).
  returned: success
  type: dict
  version_added: 1.0.0
  sample: {detail: 8 markers written, seq 1-8, over 3.5s, measures: {markers: 8, first_seq: 1, last_seq: 8, spread_seconds: 3.5}, gates: []}
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._cache import markers as cache_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres
from ansible_collections.cloudops.runbooks.plugins.module_utils._db.connect import connection_options, open_connection


def stores(module, side):
    """The marker stores of one side: 'primary' (where markers are written) or 'dr' (the copies measured)."""
    params = module.params
    found = []
    if params["cache"]:
        found.append(cache_markers.CacheMarkers(module, params["cache"], "primary" if side == "primary" else "secondary",
                                                params["cache_connection"] or {}))
    for bucket in params["buckets"] or []:
        found.append(s3_markers.BucketMarkers(module, bucket, side, params["regions"] or {}))
    return found


def _store_writer(stores_written, run_id):
    def after_each(seq, written_at):
        try:
            state_store_markers.write_each(stores_written, run_id, seq, backup.iso(written_at))
        except state_store_markers.StoreError as e:
            raise markers.MarkerFailed("writing marker %d of run %s to the cache or a bucket: %s" % (seq, run_id, e)) from None
    return after_each


def purge_stores(module, result):
    """The run's markers deleted from the cache (on the group that takes writes) and from both sides' buckets."""
    if not (module.params["cache"] or module.params["buckets"]) or module.check_mode:
        return False
    run_id = module.params["run_id"]
    try:
        purged = []
        if module.params["cache"]:
            # While DR serves, its group takes the writes; after a failback the primary's does.
            candidates = [store for store in stores(module, "dr") + stores(module, "primary") if store.kind == state_store_markers.CACHE]
            purged.append(state_store_markers.purge_writable(candidates, run_id))
        buckets = [store for store in stores(module, "primary") + stores(module, "dr") if store.kind == state_store_markers.BUCKET]
        purged.extend(state_store_markers.purge_each(buckets, run_id))
    except state_store_markers.StoreError as e:
        module.fail_json(msg="purging the drill markers of run %s: %s" % (run_id, e), **result)
    result["stores_purged"] = purged
    summary = result.get("step_summary") or {}
    summary["detail"] = (summary.get("detail") or "") + state_store_markers.summary_clause(purged=purged)
    summary["measures"] = dict(summary.get("measures") or {}, **state_store_markers.measures_of(purged=purged))
    return any(item["deleted"] for item in purged)


def measure_stores(module, result, written, moment):
    """What the DR copies hold of the markers written: the buckets and the cache at the cut (after a write), the cache
    once promoted (a read)."""
    dr = stores(module, "dr")
    if moment == "promoted":
        dr = [store for store in dr if store.kind == state_store_markers.CACHE]
    if not dr or module.check_mode:
        return
    try:
        measured = state_store_markers.measure(dr, module.params["run_id"], written, moment)
    except state_store_markers.StoreError as e:
        module.fail_json(msg="reading the drill markers of run %s: %s" % (module.params["run_id"], e), **result)
    result["stores"] = measured
    summary = result["step_summary"]
    summary["detail"] += state_store_markers.summary_clause(measured)
    summary["measures"] = dict(summary.get("measures") or {}, **state_store_markers.measures_of(measured))


def write(module, conn, schema, name, result):
    params = module.params
    rows = params["count"] or 1
    if module.check_mode:
        in_recovery, highest = markers.highest_seq(conn, schema, name, params["run_id"])
        if in_recovery:
            raise markers.standby_refusal("write markers")
        written = [(seq, None) for seq in drill.planned_seqs(highest, rows)]
    else:
        in_recovery = False
        written = markers.write(conn, schema, name, params["run_id"], rows, spread_seconds=params["spread_seconds"] or 0,
                                after_each=_store_writer(stores(module, "primary"), params["run_id"]))
        highest = written[0][0] - 1
    listed = [drill.marker(seq, when) for seq, when in written]
    result.update(in_recovery=in_recovery, markers=listed, first=listed[0], last=listed[-1],
                  step_summary=drill_markers.write_summary(listed, params["spread_seconds"], module.check_mode))
    measure_stores(module, result, written, "cut")
    if module._diff:
        result["diff"] = {"before": {"table": result["table"], "run_id": params["run_id"], "highest_seq": highest},
                          "after": {"table": result["table"], "run_id": params["run_id"], "highest_seq": listed[-1]["seq"]}}
    return True


def read(module, conn, schema, name, result, written):
    found = markers.read(conn, schema, name, module.params["run_id"])
    result.update(in_recovery=found["in_recovery"], table_exists=found["table_exists"], **drill.present_summary(found["present"]))
    if written is not None:
        result.update(drill.rpo(written, found["present"]))
    result["step_summary"] = drill_markers.read_summary(result)
    if written is not None:
        measure_stores(module, result, written, "promoted")
    return False


def purge(module, conn, schema, name, result):
    params = module.params
    if module.check_mode:
        in_recovery, rows = markers.count(conn, schema, name, params["run_id"])
        if in_recovery:
            raise markers.standby_refusal("purge markers")
    else:
        in_recovery, rows = False, markers.purge(conn, schema, name, params["run_id"])
    result.update(in_recovery=in_recovery, deleted_count=rows, step_summary=drill_markers.purge_summary(rows, module.check_mode))
    if module._diff:
        result["diff"] = {"before": {"table": result["table"], "run_id": params["run_id"], "rows": rows},
                          "after": {"table": result["table"], "run_id": params["run_id"], "rows": 0}}
    return rows > 0


def instance_of(module, instance_id, region, endpoint):
    """The instance to open (a DBInstances entry): as the run already read it when its endpoint and O(login_db) are
    given, else described; None when it does not exist."""
    if endpoint and module.params["login_db"]:
        return database.known_instance(instance_id, endpoint)
    return rds.describe_instance(module, client(module, "rds", region=region), instance_id)


def purge_from(module, schema, name, result, spec):
    """After a read: the run's rows deleted from spec's instance (the primary), on its own connection."""
    region = spec.get("region") or module.region
    instance = instance_of(module, spec["instance_id"], region, spec.get("endpoint"))
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check purge_from" % (spec["instance_id"], region), **result)
    conn, facts = open_connection(module, instance)
    where = "database %s at %s:%s" % (facts["database"], facts["endpoint"]["address"], facts["endpoint"]["port"])
    read_summary = result["step_summary"]
    try:
        purged = {}
        changed = purge(module, conn, schema, name, purged)
    except markers.MarkerFailed as e:
        module.fail_json(msg="%s (%s, run %s)" % (facts["settings"].scrub(e), where, module.params["run_id"]), **result)
    finally:
        postgres.close(conn)
    result.update(purged={"instance_id": instance["DBInstanceIdentifier"], "deleted_count": purged["deleted_count"]},
                  deleted_count=purged["deleted_count"],
                  step_summary=drill_markers.read_and_purge_summary(read_summary, instance["DBInstanceIdentifier"], purged["deleted_count"],
                                                                    module.check_mode))
    if module._diff:
        result["diff"] = purged["diff"]
    return changed


ENDPOINT = dict(address=dict(type="str", required=True), port=dict(type="int", required=True))


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
        run_id=dict(type="str", required=True),
        action=dict(type="str", required=True, choices=[drill.WRITE, drill.READ, drill.PURGE]),
        count=dict(type="int"),
        spread_seconds=dict(type="float"),
        table=dict(type="str", default=drill.DEFAULT_TABLE),
        written=dict(type="list", elements="dict"),
        endpoint=dict(type="dict", options=ENDPOINT),
        purge_from=dict(type="dict", options=dict(instance_id=dict(type="str", required=True), region=dict(type="str"),
                                                  endpoint=dict(type="dict", options=ENDPOINT))),
        cache=dict(state_stores.cache_argument_spec()),
        cache_connection=cache_markers.connection_argument_spec(),
        buckets=dict(state_stores.buckets_argument_spec()),
        regions=dict(type="dict", options=dict(primary=dict(type="str"), dr=dict(type="str"))),
    )
    argument_spec.update(connection_options())
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=postgres.PSYCOPG_IMPORT_ERROR)
    params = module.params
    if params["cache"] and not cache_markers.HAS_REDIS:
        module.fail_json(msg=missing_required_lib("redis (the drill's cache markers)"), exception=cache_markers.REDIS_IMPORT_ERROR)
    unplaced = [bucket["name"] for bucket in params["buckets"] or []
                if not (bucket.get("region") or (params["regions"] or {}).get("primary"))
                or not (bucket.get("dr_region") or (params["regions"] or {}).get("dr"))]
    if unplaced:
        module.fail_json(msg="buckets %s: give their region and dr_region, or regions (cloudops_regions)" % ", ".join(unplaced))
    action = params["action"]
    try:
        if not params["run_id"].strip():
            raise drill.MarkerError("run_id is empty: name the drill run the markers belong to")
        if params["count"] is not None and action != drill.WRITE:
            raise drill.MarkerError("count is for action: write only")
        if params["spread_seconds"] is not None and action != drill.WRITE:
            raise drill.MarkerError("spread_seconds is for action: write only")
        if params["written"] is not None and action != drill.READ:
            raise drill.MarkerError("written is for action: read only (the markers lists the run's writes returned)")
        if params["purge_from"] is not None and action != drill.READ:
            raise drill.MarkerError("purge_from is for action: read only (action: purge deletes from instance_id)")
        if action == drill.WRITE:
            drill.planned_seqs(0, params["count"] or 1)
            drill_markers.marker_offsets(params["count"] or 1, params["spread_seconds"])
        written = drill.parse_written(params["written"]) if params["written"] is not None else None
        schema, name = database.split_table_name(params["table"], "public")
    except (drill.MarkerError, database.DatabaseError) as e:
        module.fail_json(msg=str(e))
    result = dict(changed=False, run_id=params["run_id"], action=action, table="%s.%s" % (schema, name))

    instance_id = params["instance_id"]
    instance = instance_of(module, instance_id, module.region, params["endpoint"])
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region" % (instance_id, module.region), **result)
    conn, facts = open_connection(module, instance)
    result.update(instance_id=instance["DBInstanceIdentifier"], endpoint=facts["endpoint"], database=facts["database"],
                  user=facts["user"], connect_attempts=facts["connect_attempts"])
    where = "database %s at %s:%s" % (facts["database"], facts["endpoint"]["address"], facts["endpoint"]["port"])
    try:
        if action == drill.WRITE:
            result["changed"] = write(module, conn, schema, name, result)
        elif action == drill.READ:
            result["changed"] = read(module, conn, schema, name, result, written)
            if params["purge_from"]:
                postgres.close(conn)
                conn = None
                result["changed"] = purge_from(module, schema, name, result, params["purge_from"])
                result["changed"] = purge_stores(module, result) or result["changed"]
        else:
            result["changed"] = purge(module, conn, schema, name, result)
            result["changed"] = purge_stores(module, result) or result["changed"]
    except markers.MarkerFailed as e:
        done = [drill.marker(seq, when) for seq, when in getattr(e, "written", None) or []]
        if done:
            result.update(changed=True, markers=done, first=done[0], last=done[-1])
        module.fail_json(msg="%s (%s, run %s)" % (facts["settings"].scrub(e), where, params["run_id"]), **result)
    finally:
        if conn is not None:
            postgres.close(conn)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
