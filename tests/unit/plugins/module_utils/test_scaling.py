# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_nodegroup_scale's and k8s_workload_scale's decisions (scaling.py)."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling

WARM = {"min_size": 1, "desired_size": 1, "max_size": 6}


def test_target_scaling_replaces_the_given_sizes_only():
    assert scaling.target_scaling(WARM, min_size=3, desired_size=3) == {"min_size": 3, "desired_size": 3, "max_size": 6}
    assert scaling.target_scaling(WARM) == WARM


@pytest.mark.parametrize("sizes, message", [
    ({"desired_size": 10}, "invalid scaling min_size=1 desired_size=10 max_size=6 (given values override the current 1/1/6): "
                           "min_size <= desired_size <= max_size must hold"),
    ({"min_size": 2}, "min_size <= desired_size <= max_size"),
    ({"min_size": -1, "desired_size": 0}, "min_size must be 0 or more"),
    ({"min_size": 0, "desired_size": 0, "max_size": 0}, "max_size must be 1 or more"),
])
def test_target_scaling_refuses_what_eks_would(sizes, message):
    with pytest.raises(scaling.ScalingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scaling.target_scaling(WARM, **sizes)


def test_scaling_round_trips_the_boto_shape():
    boto = {"minSize": 1, "desiredSize": 2, "maxSize": 3}
    assert scaling.scaling_to_boto(scaling.scaling_from_boto(boto)) == boto


@pytest.mark.parametrize("nodegroup, target, outcome", [
    ({"status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 6}}, WARM, "done"),
    ({"status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 6}}, dict(WARM, desired_size=3), "waiting"),
    ({"status": "UPDATING", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 6}}, WARM, "waiting"),
    ({"status": "UPDATING"}, None, "waiting"),
    ({"status": "ACTIVE"}, None, "done"),
    ({"status": "DEGRADED"}, WARM, "failed"),
    (None, WARM, "failed"),
])
def test_nodegroup_outcome(nodegroup, target, outcome):
    assert scaling.nodegroup_outcome(nodegroup, target) == outcome


def test_health_issues():
    group = {"health": {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]}}
    assert scaling.health_issues(group) == ["AsgInstanceLaunchFailures: no capacity"]
    assert scaling.health_issues(None) == []


def test_normalise_workloads_fills_defaults():
    assert scaling.normalise_workloads([{"name": "web", "replicas": 3}, {"kind": "StatefulSet", "name": "db", "namespace": "data",
                                                                         "replicas": "0"}], "shop") == [
        {"kind": "Deployment", "name": "web", "namespace": "shop", "replicas": 3, "autoscaler": None},
        {"kind": "StatefulSet", "name": "db", "namespace": "data", "replicas": 0, "autoscaler": None}]


def test_normalise_workloads_names_every_problem():
    with pytest.raises(scaling.ScalingError) as refused:
        scaling.normalise_workloads([{"kind": "DaemonSet", "name": "a", "replicas": 1}, {"name": "b", "replicas": -1},
                                     {"name": "c", "replicas": 1, "namespace": "x"}, {"name": "c", "replicas": 2, "namespace": "x"}])
    message = str(refused.value)
    assert "workloads[0]: kind must be one of Deployment, StatefulSet, not 'DaemonSet'" in message
    assert "workloads[0]: no namespace" in message
    assert "workloads[1]: replicas must be a whole number of 0 or more, not -1" in message
    assert "workloads[3]: Deployment x/c is listed twice" in message
    with pytest.raises(scaling.ScalingError, match="workloads is empty"):
        scaling.normalise_workloads([], "shop")


def deployment(spec, current, ready, generation=2, observed=2):
    return {"metadata": {"generation": generation}, "spec": {"replicas": spec},
            "status": {"replicas": current, "readyReplicas": ready, "observedGeneration": observed}}


@pytest.mark.parametrize("obj, replicas, ready", [
    (deployment(3, 3, 3), 3, True),
    (deployment(3, 3, 2), 3, False),
    (deployment(3, 4, 3), 3, False),        # an old pod still terminating
    (deployment(3, 3, 3, observed=1), 3, False),  # the controller has not seen the new spec
    (deployment(1, 1, 1), 3, False),        # the scale has not been applied
    ({"metadata": {"generation": 3}, "spec": {"replicas": 0}, "status": {"observedGeneration": 3}}, 0, True),
])
def test_workload_ready(obj, replicas, ready):
    assert scaling.workload_ready(obj, replicas) is ready


def test_describe_progress():
    workload = {"kind": "Deployment", "namespace": "shop", "name": "web", "replicas": 3}
    assert scaling.describe_progress(workload, deployment(3, 3, 1)) == "Deployment shop/web: 1 of 3 ready (3 pods)"
    assert scaling.describe_progress(workload, deployment(3, 1, 1, observed=1)).endswith(
        "(1 pods, controller has not seen the change yet)")


def test_normalise_workloads_keeps_hpa_bounds_and_refuses_impossible_ones():
    [item] = scaling.normalise_workloads([{"name": "web", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}}], "shop")
    assert item["autoscaler"] == {"min_replicas": 1, "max_replicas": 6}
    with pytest.raises(scaling.ScalingError) as refused:
        scaling.normalise_workloads([{"name": "web", "replicas": 1, "autoscaler": {"min_replicas": 4, "max_replicas": 2}}], "shop")
    assert "workloads[0]: autoscaler needs 1 <= min_replicas <= max_replicas" in str(refused.value)


HPA = {"metadata": {"name": "web"},
       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 4}}
WEB = {"kind": "Deployment", "name": "web", "namespace": "shop", "replicas": 3, "autoscaler": None}


def test_an_hpa_scales_the_workload_its_target_names():
    assert scaling.autoscaler_targets(HPA, WEB)
    assert not scaling.autoscaler_targets(HPA, dict(WEB, kind="StatefulSet"))
    assert not scaling.autoscaler_targets(HPA, dict(WEB, name="api"))
    assert scaling.autoscaler_bounds(HPA) == {"name": "web", "min_replicas": 1, "max_replicas": 4}
    assert scaling.autoscaler_bounds(None) is None


@pytest.mark.parametrize("workload, expected", [
    (WEB, (3, 4)),                                                     # a scale-up holds: minReplicas raised to it
    (dict(WEB, replicas=6), (6, 6)),                                   # maxReplicas raised when lower
    (dict(WEB, replicas=0), (1, 4)),                                   # scaled to zero: the HPA is inactive, left alone
    (dict(WEB, replicas=1, autoscaler={"min_replicas": 2, "max_replicas": 8}), (2, 8)),  # a restore: the bounds before
])
def test_the_bounds_an_hpa_needs_for_a_scale_to_hold(workload, expected):
    target = scaling.autoscaler_target(scaling.autoscaler_bounds(HPA), workload)
    assert (target["name"], target["min_replicas"], target["max_replicas"]) == ("web",) + expected
    assert scaling.autoscaler_target(None, workload) is None  # no HPA, nothing to do


def test_keep_autoscaler_sets_the_replicas_and_leaves_the_hpa_bounds():
    """A failback's primary region: its HPA keeps min 1 (a raised minimum would stay after the failback); its maximum
    is raised only when below the replicas."""
    bounds = {"name": "web", "min_replicas": 1, "max_replicas": 6}
    keep = scaling.normalise_workloads([{"name": "web", "namespace": "shop", "replicas": 4, "keep_autoscaler": True}])[0]
    assert keep["keep_autoscaler"] is True
    assert scaling.autoscaler_target(bounds, keep) == {"name": "web", "min_replicas": 1, "max_replicas": 6}
    assert scaling.autoscaler_target(bounds, dict(keep, replicas=8)) == {"name": "web", "min_replicas": 1, "max_replicas": 8}
    raised = scaling.normalise_workloads([{"name": "web", "namespace": "shop", "replicas": 4}])[0]
    assert "keep_autoscaler" not in raised and scaling.autoscaler_target(bounds, raised)["min_replicas"] == 4
    with pytest.raises(scaling.ScalingError, match="autoscaler and keep_autoscaler are exclusive"):
        scaling.normalise_workloads([{"name": "web", "namespace": "shop", "replicas": 4, "keep_autoscaler": True,
                                      "autoscaler": {"min_replicas": 1, "max_replicas": 6}}])
