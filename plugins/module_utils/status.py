# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate status report: its shape (from what the info reads return), its table, its step summary, and the
difference between two reports.

Plain functions, no I/O: estate_status builds the report with them, the status filters (plugins/filter/status.py)
expose them to playbooks, and the drill compares the report before and after with status_diff.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SIDES = ("primary", "dr")
RDS_SIDES = ("primary", "replica")
# The DR pieces of an estate's inventory, in the order a refusal names them (docs/one-region.md).
NO_DR_DOC = "docs/one-region.md"


def rds_dr_key(rds):
    """The key of cloudops_rds that declares the DR database: `secondary` (the secondary cluster) on an Aurora global
    database, `dr_restore` (what a failover restores in DR) on restore-based DR, `replica` (the read replica) otherwise."""
    return {db_shape.AURORA_GLOBAL: "secondary", db_shape.RESTORE: "dr_restore"}.get(db_shape.shape(rds), "replica")


def estate_sides(eks, rds=None, alb=None):
    """The sides an estate declares: {"sides": ("primary", "dr") or ("primary",), "rds_sides": ("primary", "replica")
    or ("primary",)}. A one-region estate gives no `dr` in eks/alb and no `replica` in rds (None or absent). On an
    Aurora global database the DR database is `secondary`: rds_sides ("primary", "secondary")."""
    sides = tuple(side for side in SIDES if (eks or {}).get(side) or (alb or {}).get(side))
    # Restore-based DR runs no database in DR until a failover restores one: its status has the primary's only.
    rds_sides = tuple(side for side in ("primary", rds_dr_key(rds)) if side != "dr_restore" and (rds or {}).get(side))
    return {"sides": sides or ("primary",), "rds_sides": rds_sides or ("primary",)}


def dr_gaps(regions=None, eks=None, rds=None, alb=None, failover=None, check_failover=True):
    """What an estate lacks to have a DR side, as the inventory variables to declare ([] when it has one): the DR
    region (cloudops_regions.dr), the DR cluster (cloudops_eks.dr), the DR replica (cloudops_rds.replica), the DR load
    balancer (cloudops_alb.dr) and, with check_failover, the failover settings (cloudops_failover, whose `dns` names the
    Route 53 failover pair). An argument given as None is not judged (the runbook does not read it)."""
    gaps = []
    rds_key = rds_dr_key(rds)
    for name, value, key in (("cloudops_regions.dr", regions, "dr"), ("cloudops_eks.dr", eks, "dr"),
                             ("cloudops_rds." + rds_key, rds, rds_key), ("cloudops_alb.dr", alb, "dr")):
        if value is not None and not (isinstance(value, dict) and value.get(key)):
            gaps.append(name)
    if check_failover and not isinstance(failover, dict):
        gaps.append("cloudops_failover (its dns: the Route 53 failover pair)")
    return gaps


def no_dr_message(gaps, runbook_title="This runbook"):
    """The refusal of a runbook that needs a DR side, on an estate without one (or with half of one)."""
    return ("No DR side declared: %s %s missing. %s needs a DR region with its EKS cluster, load balancer, RDS read replica "
            "and a Route 53 failover pair; a one-region estate runs status, deploy, rollback, backup and restore tests only "
            "(%s)." % (", ".join(gaps), "is" if len(gaps) == 1 else "are", runbook_title, NO_DR_DOC))


def half_dr_problems(regions, eks, rds, alb):
    """A DR side half declared: cloudops_regions.dr absent while a `dr`/`replica` entry is there, or the other way
    round. [] for a full two-region estate and for a one-region estate (none of them). An argument given as None is
    not judged (the caller does not read it)."""
    has = {}
    rds_key = rds_dr_key(rds)
    for name, value, key in (("cloudops_regions.dr", regions, "dr"), ("cloudops_eks.dr", eks, "dr"),
                             ("cloudops_rds." + rds_key, rds, rds_key), ("cloudops_alb.dr", alb, "dr")):
        if value is not None:
            has[name] = bool(isinstance(value, dict) and value.get(key))
    if all(has.values()) or not any(has.values()):
        return []
    given = [name for name, present in has.items() if present]
    missing = [name for name, present in has.items() if not present]
    return ["The DR side is half declared: %s %s given but %s %s not. Declare all of them (two regions) or none (a one-region "
            "estate, %s)." % (", ".join(given), "is" if len(given) == 1 else "are", ", ".join(missing),
                              "is" if len(missing) == 1 else "are", NO_DR_DOC)]

# ------------------------------------------------------------------------------------------------------ status_table


def _text(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render_table(headers, rows, indent="  "):
    """Fixed-width columns, padded to the widest cell; the last column is not padded.

    Headers are single words (BACKUP_DAYS) so YAML-printing callbacks do not fold long lines at their spaces.
    """
    cells = [[_text(cell) for cell in row] for row in [headers] + list(rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append((indent + "  ".join(padded)).rstrip())
    return lines


def _section(title, headers, rows):
    return [title] + (render_table(headers, rows) if rows else ["  (no data)"])


def _eks_rows(eks):
    rows = []
    for side in SIDES:
        cluster = (eks or {}).get(side)
        if not cluster:
            continue
        groups = cluster.get("nodegroups") or [{}]
        for group in groups:
            rows.append([side, cluster.get("cluster_name"), cluster.get("status"), cluster.get("version"),
                         group.get("name"), group.get("status"), group.get("min_size"), group.get("desired_size"), group.get("max_size")])
    return rows


def _rds_rows(rds):
    rows = []
    for side in RDS_SIDES:
        db = (rds or {}).get(side)
        if not db:
            continue
        rows.append([side, db.get("instance_id"), db.get("region"), db.get("role"), db.get("status"), db.get("engine"),
                     db.get("multi_az"), db.get("backup_retention_period"), db.get("replica_lag_seconds"),
                     db.get("rpo_budget_seconds"), db.get("lag_verdict")])
    return rows


def _aurora_rows(rds):
    rows = []
    for side in aurora.SIDES:
        db = (rds or {}).get(side)
        if not db:
            continue
        writer = next((item["instance_id"] for item in db.get("instances") or [] if item.get("writer")), None)
        rows.append([side, db.get("cluster_id"), db.get("region"), db.get("role"), db.get("status"), db.get("synchronization_status"),
                     len(db.get("instances") or []), writer, db.get("backup_retention_period"), db.get("replica_lag_seconds"),
                     db.get("replication_lag_seconds"), db.get("rpo_budget_seconds"), db.get("lag_verdict")])
    return rows


def _aurora_title(rds):
    found = (rds or {}).get("global_cluster") or {}
    if not found.get("exists"):
        return "RDS  Aurora global database %s: not found" % _text(found.get("global_cluster_id"))
    state = found.get("failover_state")
    return "RDS  Aurora global database %s (%s), writer %s%s" % (
        found.get("global_cluster_id"), _text(found.get("status")), _text(found.get("writer")),
        ", %s from %s to %s" % (state.get("status"), state.get("from_cluster_id"), state.get("to_cluster_id")) if state else "")


def _alb_rows(alb):
    rows = []
    for side in SIDES:
        lb = (alb or {}).get(side)
        if not lb:
            continue
        weights = lb.get("weights") or {}
        for name, group in sorted((lb.get("target_groups") or {}).items()):
            label = group.get("colour") or name
            rows.append([side, lb.get("load_balancer_name"), lb.get("listener_port"), lb.get("active_colour"), name,
                         group.get("colour"), "%s%%" % weights.get(label, 0),
                         "%s/%s" % (group.get("healthy_count"), group.get("total"))])
    return rows


def _dns_rows(dns):
    rows = [["SIMPLE", "-", record.get("value"), record.get("ttl"), record.get("health_check_id"), record.get("healthy")]
            for record in (dns or {}).get("simple_records") or []]
    for record in (dns or {}).get("records") or []:
        rows.append([record.get("failover"), record.get("set_identifier"), record.get("value"), record.get("ttl"),
                     record.get("health_check_id"), record.get("healthy")])
    for record in (dns or {}).get("weighted_records") or []:
        rows.append(["WEIGHT %s" % record.get("weight"), record.get("set_identifier"), record.get("value"), record.get("ttl"),
                     record.get("health_check_id"), record.get("healthy")])
    return rows


def _helm_rows(helm):
    rows = []
    for side in SIDES:
        for release in ((helm or {}).get(side) or {}).get("releases") or []:
            rows.append([side, release.get("name"), release.get("colour"), release.get("namespace"), release.get("revision"),
                         release.get("status"), release.get("chart"), release.get("app_version")])
    return rows


def status_table(report):
    """The report as text: a title line, then one table per section."""
    report = report or {}
    dns = report.get("dns") or {}
    dns_title = "DNS"
    if dns and dns.get("simple_records") and not dns.get("records"):
        dns_title = "DNS  %s -> simple record, no failover pair (one region)" % dns.get("record_name")
    elif dns:
        dns_title = "DNS  %s -> serving %s (primary healthy: %s)" % (dns.get("record_name"), dns.get("serving"), _text(dns.get("primary_healthy")))
    lines = ["STATUS of %s (collected %s)" % (_text(report.get("environment")), _text(report.get("collected_at")))]
    production = report.get("production")
    if isinstance(production, dict):
        lines.append("PRODUCTION on %s%s" % ("DR" if production.get("side") == "dr" else "the primary region",
                                             ": " + production["note"] if production.get("note") else ""))
    lines += _section("EKS", ["SIDE", "CLUSTER", "STATUS", "VERSION", "NODEGROUP", "NG_STATUS", "MIN", "DESIRED", "MAX"], _eks_rows(report.get("eks")))
    if "global_cluster" in (report.get("rds") or {}):
        lines += _section(_aurora_title(report["rds"]), ["SIDE", "CLUSTER", "REGION", "ROLE", "STATUS", "SYNC", "INSTANCES", "WRITER_INSTANCE",
                                                         "BACKUP_DAYS", "RPO_LAG_S", "REPL_LAG_S", "RPO_S", "LAG_VERDICT"],
                          _aurora_rows(report["rds"]))
    else:
        lines += _section("RDS", ["SIDE", "INSTANCE", "REGION", "ROLE", "STATUS", "ENGINE", "MULTI_AZ", "BACKUP_DAYS", "LAG_S", "RPO_S",
                                  "LAG_VERDICT"], _rds_rows(report.get("rds")))
    lines += _section("ALB", ["SIDE", "LOAD_BALANCER", "PORT", "ACTIVE", "TARGET_GROUP", "COLOUR", "WEIGHT", "HEALTHY"], _alb_rows(report.get("alb")))
    lines += _section(dns_title, ["ROLE", "SET", "VALUE", "TTL", "HEALTH_CHECK", "HEALTHY"], _dns_rows(dns))
    lines += _section("Helm", ["SIDE", "RELEASE", "COLOUR", "NAMESPACE", "REVISION", "STATUS", "CHART", "APP_VERSION"], _helm_rows(report.get("helm")))
    cache = report.get("cache")
    if isinstance(cache, dict):
        lines += _section("Cache  Global Datastore %s (%s)" % (cache.get("global_datastore_id"), _text(cache.get("status"))),
                          ["MEMBER", "ROLE"], [[member, role] for member, role in sorted((cache.get("members") or {}).items())])
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------ the report

def by_side(results):
    """{side: module result} from a registered loop whose items are side names (primary, dr, replica)."""
    return dict((result["item"], result) for result in (results or {}).get("results") or [] if not result.get("skipped"))


def _eks(result):
    cluster = result.get("cluster") or {}
    groups = [dict(name=group["name"], status=group["status"], **group["scaling_config"]) for group in result.get("nodegroups") or []]
    return {"cluster_name": cluster.get("name"), "region": result.get("region"), "exists": result.get("exists"),
            "status": cluster.get("status"), "version": cluster.get("version"), "endpoint": cluster.get("endpoint"), "nodegroups": groups}


def _rds(result):
    keys = ("instance_id", "region", "exists", "role", "role_evidence", "status", "engine", "engine_version", "endpoint", "source",
            "replicas", "multi_az", "backup_retention_period", "replica_lag_seconds", "rpo_budget_seconds", "lag_verdict")
    return dict((key, result.get(key)) for key in keys)


def _alb(result, name, port):
    groups = dict((group_name, dict((key, value) for key, value in group.items() if key not in ("arn",)))
                  for group_name, group in (result.get("target_groups") or {}).items())
    return {"load_balancer_name": name, "listener_port": port, "region": result.get("region"),
            "load_balancer_arn": result.get("load_balancer_arn"), "dns_name": result.get("dns_name"),
            "target_group_arns": dict((group_name, group.get("arn")) for group_name, group in (result.get("target_groups") or {}).items()),
            "active_colour": result.get("active_colour"), "idle_colour": result.get("idle_colour"), "weights": result.get("weights"),
            "forward": [dict(target_group_name=item["target_group_name"], weight=item["weight"]) for item in result.get("forward") or []],
            "target_groups": groups}


def _dns(result, record_name):
    checks = result.get("health_checks") or {}

    def record(item):
        check = checks.get(item.get("health_check_id")) or {}
        return {"set_identifier": item.get("set_identifier"), "failover": item.get("failover"), "weight": item.get("weight"),
                "type": item.get("type"), "value": item.get("value"), "ttl": item.get("ttl"), "health_check_id": item.get("health_check_id"),
                "healthy": check.get("healthy"), "request_interval": check.get("request_interval"), "failure_threshold": check.get("failure_threshold")}

    failover = result.get("failover") or {}
    out = {"record_name": record_name, "zone_id": result.get("zone_id"), "serving": failover.get("serving"),
           "primary": failover.get("primary"), "secondary": failover.get("secondary"), "primary_healthy": failover.get("primary_healthy"),
           "records": [record(item) for item in result.get("records") or []],
           "weighted_records": [record(item) for item in result.get("weighted_records") or []],
           "weighted_shares": result.get("weighted_shares") or {}}
    simple = [item for item in result.get("other_records") or [] if item.get("type") in ("A", "AAAA", "CNAME")]
    if simple and not out["records"] and not out["weighted_records"]:
        # A one-region estate: the record is a simple one to the only side, which is what serves.
        out.update(serving="PRIMARY", simple_records=[record(item) for item in simple])
    return out


def _helm(result, colours, namespace):
    colour_of = dict((release, colour) for colour, release in (colours or {}).items())
    keys = ("name", "namespace", "revision", "status", "chart", "app_version", "description")
    releases = [dict([(key, release.get(key)) for key in keys] + [("colour", colour_of.get(release.get("name")))]) for release in result.get("releases") or []]
    return {"namespace": namespace, "releases": releases}


def build_report(reads, config):
    """The status report (no timestamps: drills diff it) from what the reads returned.

    reads: {"eks", "rds", "alb", "helm": {side: the info module's result}, "dns": route53_failover_info's result or
      None, "production": failover_state.production() of the failover record, when it was read}; the sides in the
      order they are to appear (eks/alb/helm: primary, dr; rds: primary, replica).
    config: the status inputs {"environment", "alb", "dns", "helm"} for names the reads do not echo.
    """
    alb_config = config.get("alb") or {}
    helm_config = config.get("helm") or {}
    report = {
        "environment": config.get("environment"),
        "eks": dict((side, _eks(result)) for side, result in (reads.get("eks") or {}).items()),
        # An Aurora global database's read is the report's rds part already (_aws/aurora.py global_read).
        "rds": (dict(reads["rds"]) if "global_cluster" in (reads.get("rds") or {}) else
                dict((side, _rds(result)) for side, result in (reads.get("rds") or {}).items())),
        "alb": dict((side, _alb(result, alb_config[side].get("load_balancer_name"), alb_config[side].get("listener_port")))
                    for side, result in (reads.get("alb") or {}).items()),
        "dns": _dns(reads.get("dns") or {}, (config.get("dns") or {}).get("record_name")) if reads.get("dns") else {},
        "helm": dict((side, _helm(result, helm_config.get("releases"), helm_config.get("release_namespace")))
                     for side, result in (reads.get("helm") or {}).items()),
    }
    if reads.get("production") is not None:
        # Which side serves production, from the failover record (module_utils/failover_state.py).
        report["production"] = reads["production"]
    if reads.get("cache") is not None:
        # The estate's cache: which member of its Global Datastore is the primary (state_stores.cache_status).
        report["cache"] = reads["cache"]
    return report


def status_report(results, config):
    """build_report from registered results (the status_report filter): results {"eks", "rds", "alb", "helm":
    registered loops over side names, "dns": one registered result}."""
    reads = dict((key, by_side(results.get(key))) for key in ("eks", "rds", "alb", "helm"))
    reads["dns"] = results.get("dns")
    return build_report(reads, config)


def collected_at(now):
    """The report's timestamp (a UTC datetime) as the report carries it: 2026-01-31T12:00:00Z."""
    return now.strftime(TIMESTAMP_FORMAT)


def with_timestamp(report, now):
    """The report with collected_at, its only timestamp, at the top level (everything below it is deterministic)."""
    return dict([("collected_at", collected_at(now))] + list(report.items()))


# ------------------------------------------------------------------------------------------------------ step summary

def _count(items, test):
    return sum(1 for item in items if test(item))


def step_summary(report, read_seconds=None):
    """The standard step result of a status read (module_utils/steps.py): one line for a person, flat numbers, and
    each RDS instance's replication figures as rds_replication_info gives them (gates with no pass/fail: the status
    judges nothing, the promotion's lag gate does). read_seconds: how long the reads took (a measure when given)."""
    eks = list((report.get("eks") or {}).values())
    releases = [release for side in (report.get("helm") or {}).values() for release in side.get("releases") or []]
    groups = [group for lb in (report.get("alb") or {}).values() for group in (lb.get("target_groups") or {}).values()]
    rds = report.get("rds") or {}
    is_aurora = "global_cluster" in rds
    replica = aurora.secondary_of(rds) if is_aurora else rds.get("replica") or {}
    eks_sides = report.get("eks") or {}
    one_region = "primary" in eks_sides and "dr" not in eks_sides and "replica" not in rds and not is_aurora
    dns = report.get("dns") or {}
    measures = {
        "clusters": len(eks), "clusters_active": _count(eks, lambda cluster: cluster.get("status") == "ACTIVE"),
        "releases": len(releases), "releases_deployed": _count(releases, lambda release: release.get("status") == "deployed"),
        "target_groups": len(groups), "target_groups_healthy": _count(groups, lambda group: group.get("healthy") is True),
        "read_seconds": read_seconds,
    }
    measures.update(steps.numbers_of(replica, ("replica_lag_seconds", "rpo_budget_seconds")))
    lag = replica.get("replica_lag_seconds")
    parts = [
        "DNS serving %s" % (dns.get("serving") or "-") + (" (simple record)" if dns.get("simple_records") else ""),
        "one region, no DR replica" if one_region else
        "global database %s writer %s, secondary %s RPO lag %s (%s)" % (
            rds["global_cluster"].get("global_cluster_id"), rds["global_cluster"].get("writer") or "-", replica.get("cluster_id") or "-",
            "-" if lag is None else "%s s" % lag, replica.get("lag_verdict") or "-") if is_aurora else
        "replica %s lag %s (%s)" % (replica.get("instance_id") or "-", "-" if lag is None else "%s s" % lag, replica.get("lag_verdict") or "-"),
        "ALB " + ", ".join("%s %s" % (side, lb.get("active_colour")) for side, lb in (report.get("alb") or {}).items()),
        "EKS %s/%s active" % (measures["clusters_active"], measures["clusters"]),
        "Helm %s/%s deployed" % (measures["releases_deployed"], measures["releases"]),
    ]
    gates = (aurora.status_step_gates(rds) if is_aurora else
             [gate for db in rds.values() for gate in replication.replication_step_summary(db)["gates"]])
    return steps.summary("%s: %s" % (report.get("environment") or "-", "; ".join(parts)),
                         dict((key, value) for key, value in measures.items() if value is not None), gates)


# ------------------------------------------------------------------------------------------------------ status_diff

DEFAULT_IGNORE = ("collected_at",)

# Keys this version's report has and an earlier version's did not: a run started under that version and resumed under
# this one (a drill's failback) compares its recorded status before, which lacks them, with a status after that has
# them. A key the before-report lacks altogether at one of these paths is no change of the estate; one present on both
# sides is compared (a load balancer re-created under its name has a new ARN).
ADDED_KEYS = ("alb.*.load_balancer_arn", "alb.*.target_group_arns")
ADDED_PATTERNS = [path.split(".") for path in ADDED_KEYS]


def _ignored(segments, patterns):
    """Whether a path (its segments) lies at or under one of the patterns (segment lists, '*' = any one segment)."""
    for pattern in patterns:
        if len(pattern) <= len(segments) and all(want in ("*", have) for want, have in zip(pattern, segments)):
            return True
    return False


def _same(before, after):
    """Equal, and of the same kind: True is not 1, 1 is 1.0."""
    if isinstance(before, bool) or isinstance(after, bool):
        return isinstance(before, bool) and isinstance(after, bool) and before == after
    return before == after


def _walk(before, after, segments, patterns, out):
    if _ignored(segments, patterns):
        return
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after), key=str)
        for key in keys:
            if key not in before and _ignored(segments + [str(key)], ADDED_PATTERNS):
                continue
            _walk(before.get(key), after.get(key), segments + [str(key)], patterns, out)
        return
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        for index in range(max(len(before), len(after))):
            _walk(before[index] if index < len(before) else None, after[index] if index < len(after) else None,
                  segments + [str(index)], patterns, out)
        return
    if not _same(before, after):
        out.append({"path": ".".join(segments), "before": before, "after": after})


def status_diff(before, after, ignore=DEFAULT_IGNORE):
    """The differences between two status reports: [{path, before, after}] in path order (dict keys sorted, list items
    by index), each at the deepest level where the two differ. A key or list item present on one side only shows
    null on the other, except the keys an earlier version's report lacked (ADDED_KEYS) when the before-report lacks
    them. ignore: dotted paths ('rds.replica.endpoint.port'; '*' matches any one segment) whose values,
    and everything under them, are not compared; default the report's only timestamp, collected_at."""
    if ignore is None:
        ignore = ()
    if isinstance(ignore, str):
        ignore = [ignore]
    patterns = [str(item).split(".") for item in ignore]
    out = []
    _walk(before if before is not None else {}, after if after is not None else {}, [], patterns, out)
    return out


def known_identifiers(args, report):
    """estate_status's arguments with what an earlier status report of the run found that cannot change: the hosted
    zone's ID (a zone keeps it for life), each load balancer's ARN and DNS name and its target groups' ARNs (an ALB or
    a group keeps them for life; one deleted and re-created under its name gets a new ARN, which estate_status
    notices and then looks up by name), and each cluster's node groups (described by name; when one is gone, the
    cluster's node groups are listed again).
    The status after a drill passes them, so it reads every state again but looks no identifier up twice."""
    out = dict(args)
    zone_id = ((report or {}).get("dns") or {}).get("zone_id")
    if zone_id and out.get("dns"):
        out["dns"] = dict(out["dns"], zone_id=zone_id)
    alb = dict(out.get("alb") or {})
    for side, spec in alb.items():
        seen = ((report or {}).get("alb") or {}).get(side) or {}
        if spec and seen.get("load_balancer_arn") and seen.get("load_balancer_name") == spec.get("load_balancer_name"):
            alb[side] = dict(spec, load_balancer={"arn": seen["load_balancer_arn"], "dns_name": seen.get("dns_name"),
                                                  "target_groups": dict(seen.get("target_group_arns") or {})})
    if alb:
        out["alb"] = alb
    eks = dict(out.get("eks") or {})
    for side, spec in eks.items():
        seen = ((report or {}).get("eks") or {}).get(side) or {}
        names = [group.get("name") for group in seen.get("nodegroups") or [] if group.get("name")]
        if spec and names and seen.get("cluster_name") == spec.get("cluster_name"):
            eks[side] = dict(spec, nodegroups=names)
    if eks:
        out["eks"] = eks
    return out
