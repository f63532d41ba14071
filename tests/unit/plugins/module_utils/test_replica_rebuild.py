# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""replica_rebuild: what a failback of the DR replica found and did, its refusal and its step summary."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import replica_rebuild
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication


def test_what_was_found_and_what_is_done():
    assert replica_rebuild.found_view(None) == {"exists": False, "role": None, "source": None}
    promoted = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceStatus": "available"}
    assert replica_rebuild.found_view(promoted) == {"exists": True, "role": replication.replication_role(promoted)[0], "source": None}
    assert [replica_rebuild.action(a) for a in (replication.KEEP, replication.CREATE, replication.WAIT_DELETED, replication.REFUSE)] \
        == ["kept", "created", "created", "rebuilt"]


def test_a_hint_replaces_the_modules_advice():
    reason = "x exists as a standalone instance (no link), not as a replica of y: a promoted replica; delete it first (state: absent) or pick another"
    assert replica_rebuild.refusal("x", reason) == "Refusing to make x a replica, nothing was changed: " + reason
    assert replica_rebuild.refusal("x", reason, "Failback refused.") == \
        "Refusing to make x a replica, nothing was changed: x exists as a standalone instance (no link), not as a replica of y: " \
        "a promoted replica. Failback refused."


def test_step_summary():
    summary = replica_rebuild.step_summary("shop-db-dr", "shop-db", "rebuilt", 3.5, 10.0)
    assert summary == {"detail": "shop-db-dr deleted and re-created as a replica of shop-db", "gates": [],
                       "measures": {"delete_seconds": 3.5, "create_seconds": 10.0}}
    assert replica_rebuild.step_summary("r", "s", "kept", check_mode=True)["detail"] == "r already a replica of s (check mode)"
