# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A drill's failback of the DR replica as one step (rds_read_replica with replace): what was found, what the step
did, and its step summary. Pure functions; the plan itself is replication.replica_plan.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

KEPT, CREATED, REBUILT, REFUSED = "kept", "created", "rebuilt", "refused"


def found_view(existing):
    """{exists, role, source} of the instance found under the replica's name (None: none)."""
    if existing is None:
        return {"exists": False, "role": None, "source": None}
    return {"exists": True, "role": replication.replication_role(existing)[0],
            "source": existing.get("ReadReplicaSourceDBInstanceIdentifier")}


def action(plan_action):
    """kept / created / rebuilt of replica_plan's action (refuse: rebuilt, when replacing is allowed)."""
    if plan_action == replication.KEEP:
        return KEPT
    return REBUILT if plan_action == replication.REFUSE else CREATED


def refusal(instance_id, reason, hint=None):
    """The refusal of an instance that is not a replica of the source; a hint replaces replica_plan's advice (what
    follows its last '; ')."""
    if hint:
        reason = "%s. %s" % (reason.rsplit("; ", 1)[0], hint)
    return "Refusing to make %s a replica, nothing was changed: %s" % (instance_id, reason)


def step_summary(instance_id, source, done, delete_seconds=None, create_seconds=None, check_mode=False):
    """step_summary of rds_read_replica state=present."""
    verbs = {KEPT: "already a replica of", CREATED: "created as a replica of", REBUILT: "deleted and re-created as a replica of"}
    detail = "%s %s %s%s" % (instance_id, verbs[done], source, " (check mode)" if check_mode else "")
    return steps.summary(detail, dict((key, value) for key, value in (("delete_seconds", delete_seconds), ("create_seconds", create_seconds))
                                      if value is not None))
