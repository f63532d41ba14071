# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which database shape an inventory's `cloudops_rds` declares: the one switch every runbook reads.

- REPLICA: an RDS instance (`primary`) and its cross-region read replica in DR (`replica`); the failover promotes the
  replica.
- AURORA_GLOBAL: an Aurora PostgreSQL global database (`engine: aurora-postgresql`, `global_cluster_id`, `primary`
  and `secondary` clusters); the failover is FailoverGlobalCluster, a drill or failback a SwitchoverGlobalCluster.
- RESTORE: an RDS instance with nothing warm in DR (`dr_restore`); the failover restores the database in DR from the
  newest restorable point there (a cross-region snapshot copy or replicated automated backups).
- SINGLE: an RDS instance and no DR side at all (a one-region estate).

Pure: no AWS call. Callers decide what each shape means for their runbook; a shape a runbook does not serve gets a
refusal naming `cloudops_rds` before any change (see `unsupported`).
"""

from __future__ import annotations

REPLICA = "replica"
AURORA_GLOBAL = "aurora_global"
RESTORE = "restore"
SINGLE = "single"

AURORA_ENGINES = ("aurora-postgresql",)

DESCRIPTIONS = {
    REPLICA: "an RDS instance with a cross-region read replica",
    AURORA_GLOBAL: "an Aurora PostgreSQL global database",
    RESTORE: "an RDS instance restored in DR from backups (no warm database there)",
    SINGLE: "an RDS instance with no DR database",
}


def shape(cloudops_rds):
    """The shape `cloudops_rds` declares (one of REPLICA, AURORA_GLOBAL, RESTORE, SINGLE)."""
    rds = cloudops_rds if isinstance(cloudops_rds, dict) else {}
    if str(rds.get("engine") or "").lower() in AURORA_ENGINES:
        return AURORA_GLOBAL
    if isinstance(rds.get("replica"), dict) and rds["replica"]:
        return REPLICA
    if isinstance(rds.get("dr_restore"), dict) and rds["dr_restore"]:
        return RESTORE
    return SINGLE


def unsupported(runbook, cloudops_rds, supported):
    """A refusal when `runbook` does not serve the declared shape, else None."""
    found = shape(cloudops_rds)
    if found in supported:
        return None
    served = "; ".join(DESCRIPTIONS[s] for s in supported) or "no database shape"
    return (f"cloudops_rds declares {DESCRIPTIONS[found]}; the {runbook} runbook serves: {served}. "
            "Nothing was changed.")
