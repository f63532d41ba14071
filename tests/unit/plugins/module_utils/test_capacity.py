# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capacity: the order of a scale-up and a scale-down, the failover_scale result and the step summary."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity

TIMES = {"started_at": "t0", "finished_at": "t1", "duration_seconds": 5.0}
GROUP = {"changed": True, "before": {"min_size": 1, "desired_size": 1, "max_size": 6}, "after": {"min_size": 3, "desired_size": 3, "max_size": 6},
         "status": "ACTIVE", "duration_seconds": 4.0, "update_id": "u-1", "started_at": "t0", "finished_at": "t1"}
PODS = {"changed": False, "duration_seconds": 1.0, "restore": [{"kind": "Deployment", "name": "web", "namespace": "shop", "replicas": 2}],
        "workloads": [{"kind": "Deployment", "name": "web", "namespace": "shop", "before": 2, "replicas": 2, "ready": True}]}


def test_nodes_come_before_their_pods_and_leave_after_them():
    assert capacity.order("up") == ("nodegroup", "workloads")
    assert capacity.order("down") == ("workloads", "nodegroup")


def test_the_result_has_the_roles_shape():
    result = capacity.capacity_result("workers", GROUP, PODS, TIMES)
    assert result == {"nodegroup": {"name": "workers", "before": GROUP["before"], "after": GROUP["after"], "changed": True,
                                    "status": "ACTIVE", "duration_seconds": 4.0},
                      "workloads": PODS["workloads"], "workloads_duration_seconds": 1.0, "changed": True,
                      "restore": {"nodegroup": GROUP["before"], "workloads": PODS["restore"]},
                      "started_at": "t0", "finished_at": "t1", "duration_seconds": 5.0}
    nothing = capacity.capacity_result("", None, None, TIMES)
    assert (nothing["nodegroup"], nothing["workloads"], nothing["workloads_duration_seconds"], nothing["changed"]) == (None, [], None, False)
    assert nothing["restore"] == {"nodegroup": None, "workloads": []}


def test_step_summary():
    summary = capacity.step_summary(capacity.capacity_result("workers", GROUP, PODS, TIMES))
    assert summary["detail"] == "node group workers 1/1/6 -> 3/3/6 (ACTIVE); web 2 -> 2"
    assert summary["measures"] == {"nodegroup_seconds": 4.0, "workloads_seconds": 1.0, "duration_seconds": 5.0, "workloads": 1,
                                   "workloads_ready": 1}
    assert capacity.step_summary(capacity.capacity_result("", None, None, TIMES), check_mode=True)["detail"] == "nothing to scale (check mode)"


def test_the_single_part_modules_summaries():
    assert capacity.nodegroup_step_summary("workers", GROUP)["detail"] == "node group workers 1/1/6 -> 3/3/6 (ACTIVE)"
    pods = capacity.workloads_step_summary(dict(PODS, duration_seconds=1.0))
    assert pods["detail"] == "web 2 -> 2" and pods["measures"] == {"duration_seconds": 1.0, "workloads": 1, "workloads_ready": 1}
