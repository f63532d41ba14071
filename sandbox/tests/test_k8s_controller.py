"""Kubernetes emulator: simulated controllers (Deployment/ReplicaSet/Pod, StatefulSet, Job) and rollout knobs."""
import pytest
from kubernetes.client.rest import ApiException

from sandbox.tests.k8s_helpers import (  # noqa: F401 - fixtures
    api, apps, core, deployment, emulator, http, kubeconfig, wait_for)

REVISION = "deployment.kubernetes.io/revision"


def _ready(apps, name, ns="default"):
    d = apps.read_namespaced_deployment(name, ns)
    s = d.status
    return (s.observed_generation == d.metadata.generation and s.ready_replicas == d.spec.replicas
            and s.updated_replicas == d.spec.replicas and s.available_replicas == d.spec.replicas) and d


def test_deployment_becomes_ready_with_replicasets_and_pods(apps, core):
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    assert not _ready(apps, "web")  # not instantly: clients must wait
    d = wait_for(lambda: _ready(apps, "web"))
    conds = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conds == {"Available": ("True", "MinimumReplicasAvailable"),
                     "Progressing": ("True", "NewReplicaSetAvailable")}
    assert d.metadata.annotations[REVISION] == "1"
    rs = apps.list_namespaced_replica_set("default").items
    assert len(rs) == 1 and rs[0].metadata.owner_references[0].uid == d.metadata.uid
    assert rs[0].metadata.owner_references[0].controller is True
    pods = core.list_namespaced_pod("default", label_selector="app=web").items
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)
    assert all(c.type != "Ready" or c.status == "True" for p in pods for c in p.status.conditions)

    # a template change makes a new RS (revision 2) and scales the old one to 0
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.26"}]}}}})
    d = wait_for(lambda: _ready(apps, "web"))
    assert d.metadata.generation == 2 and d.metadata.annotations[REVISION] == "2"
    rs = {r.metadata.annotations[REVISION]: r for r in apps.list_namespaced_replica_set("default").items}
    assert rs["1"].spec.replicas == 0 and rs["2"].spec.replicas == 2
    assert rs["1"].spec.template.metadata.labels["pod-template-hash"] != \
        rs["2"].spec.template.metadata.labels["pod-template-hash"]
    # going back to the old template reuses the old RS with a new revision (what k8s_rollback relies on)
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.25"}]}}}})
    d = wait_for(lambda: _ready(apps, "web") if _ready(apps, "web") and
                 apps.read_namespaced_deployment("web", "default").metadata.annotations[REVISION] == "3" else None)
    rs = apps.list_namespaced_replica_set("default").items
    assert len(rs) == 2
    assert {r.metadata.annotations[REVISION]: r.spec.replicas for r in rs} == {"3": 2, "2": 0}
    # deleting the deployment garbage-collects RS and pods
    apps.delete_namespaced_deployment("web", "default")
    assert apps.list_namespaced_replica_set("default").items == []
    assert core.list_namespaced_pod("default").items == []


def test_statefulset_and_job(api, core):
    from kubernetes import client
    apps, batch = client.AppsV1Api(api), client.BatchV1Api(api)
    sts = {"metadata": {"name": "db"}, "spec": {"replicas": 2, "serviceName": "db",
                                                "selector": {"matchLabels": {"app": "db"}},
                                                "template": {"metadata": {"labels": {"app": "db"}},
                                                             "spec": {"containers": [{"name": "pg",
                                                                                      "image": "postgres"}]}}}}
    apps.create_namespaced_stateful_set("default", sts)

    def sts_ready():
        s = apps.read_namespaced_stateful_set("db", "default")
        st = s.status
        return (st.ready_replicas == 2 and st.current_revision == st.update_revision
                and st.observed_generation == s.metadata.generation and st.updated_replicas == 2) and s
    s = wait_for(sts_ready)
    assert s.spec.update_strategy.type == "RollingUpdate"
    assert sorted(p.metadata.name for p in core.list_namespaced_pod("default").items) == ["db-0", "db-1"]

    job = {"metadata": {"name": "migrate"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox"}]}}}}
    batch.create_namespaced_job("default", job)

    def complete():
        j = batch.read_namespaced_job("migrate", "default")
        return any(c.type == "Complete" and c.status == "True" for c in j.status.conditions or []) and j
    j = wait_for(complete)
    assert j.status.succeeded == 1 and j.status.completion_time is not None


def test_never_ready_annotation_and_admin_rule(emulator, apps, api):
    from kubernetes import client
    batch = client.BatchV1Api(api)
    apps.create_namespaced_deployment("default", deployment(
        "stuck", replicas=2, annotations={"sandbox.cloudops.io/never-ready": "true"}))
    d = wait_for(lambda: (lambda d: d.status.observed_generation == 1 and d)(
        apps.read_namespaced_deployment("stuck", "default")))
    import time
    time.sleep(0.6)
    d = apps.read_namespaced_deployment("stuck", "default")
    assert not d.status.ready_replicas and not d.status.available_replicas
    conds = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conds["Available"][0] == "False" and conds["Progressing"][1] == "ReplicaSetUpdated"

    # an admin rule set before the object exists
    status, _, body = http(emulator, "POST", "/sandbox/rollout", {"namespace": "default", "name": "later",
                                                                  "ready": False})
    assert status == 200 and body["rules"] == [{"namespace": "default", "name": "later", "ready": False}]
    batch.create_namespaced_job("default", {"metadata": {"name": "later"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox"}]}}}})
    apps.create_namespaced_deployment("default", deployment("later", replicas=1))
    time.sleep(0.6)
    assert not batch.read_namespaced_job("later", "default").status.succeeded
    assert not apps.read_namespaced_deployment("later", "default").status.ready_replicas
    # clearing the rule lets both finish; ready=true overrides the annotation
    http(emulator, "POST", "/sandbox/rollout", {"namespace": "default", "name": "later", "ready": None})
    http(emulator, "POST", "/sandbox/rollout", {"namespace": "default", "name": "stuck", "ready": True})
    wait_for(lambda: _ready(apps, "later") and _ready(apps, "stuck"))
    wait_for(lambda: batch.read_namespaced_job("later", "default").status.succeeded == 1)


def test_admin_reset_and_healthz(emulator, core, apps):
    core.create_namespace({"metadata": {"name": "shop"}})
    apps.create_namespaced_deployment("shop", deployment("web"))
    http(emulator, "POST", "/sandbox/rollout", {"namespace": "shop", "name": "web", "ready": False})
    status, _, body = http(emulator, "GET", "/sandbox/healthz")
    assert status == 200 and body["status"] == "ok"
    assert http(emulator, "POST", "/sandbox/reset", b"")[0] == 200
    assert sorted(n.metadata.name for n in core.list_namespace().items) == [
        "default", "kube-node-lease", "kube-public", "kube-system"]
    assert http(emulator, "GET", "/sandbox/rollout")[2]["rules"] == []
    with pytest.raises(ApiException):
        apps.read_namespaced_deployment("web", "shop")


def test_restore_puts_a_snapshot_back_rolled_out_as_it_was(emulator, core, apps):
    """What a sandbox reset does to its clusters: the seeded objects back (same uids, generations), ready at once and
    staying ready through the controller's resyncs, later objects and rollout rules gone, resourceVersions growing."""
    import time

    core.create_namespace({"metadata": {"name": "shop"}})
    apps.create_namespaced_deployment("shop", deployment("web", replicas=2))
    seeded = wait_for(lambda: _ready(apps, "web", "shop"))
    seeded_pods = {p.metadata.uid for p in core.list_namespaced_pod("shop").items}
    snapshot = emulator.snapshot()

    apps.patch_namespaced_deployment_scale("web", "shop", {"spec": {"replicas": 0}})
    apps.create_namespaced_deployment("shop", deployment("extra", replicas=1))
    http(emulator, "POST", "/sandbox/rollout", {"namespace": "shop", "name": "web", "ready": False})
    wait_for(lambda: not core.list_namespaced_pod("shop", label_selector="app=web").items)
    rv_before = int(core.list_namespaced_pod("shop").metadata.resource_version)

    emulator.restore(snapshot)
    web = _ready(apps, "web", "shop")
    assert web and (web.metadata.uid, web.metadata.generation, web.spec.replicas) == (
        seeded.metadata.uid, seeded.metadata.generation, 2)
    assert [d.metadata.name for d in apps.list_namespaced_deployment("shop").items] == ["web"]
    assert http(emulator, "GET", "/sandbox/rollout")[2]["rules"] == []
    listing = core.list_namespaced_pod("shop")
    assert int(listing.metadata.resource_version) > rv_before
    deadline = time.monotonic() + 1.5  # past a resync of every object (every 1 s): the restored pods stay ready
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod("shop").items
        assert {p.metadata.uid for p in pods} == seeded_pods
        assert all(c.status == "True" for p in pods for c in p.status.conditions if c.type == "Ready")
        time.sleep(0.1)
    assert _ready(apps, "web", "shop")


def test_a_horizontal_pod_autoscaler_holds_its_target_within_its_bounds(api, apps):
    """An idle estate's HPA undoes a plain scale above minReplicas; raising minReplicas is what makes a scale hold;
    the load annotation stands for the metrics; a target scaled to 0 is left alone."""
    from kubernetes import client
    hpas = client.AutoscalingV2Api(api)
    apps.create_namespaced_deployment("default", deployment("api", replicas=1))
    hpas.create_namespaced_horizontal_pod_autoscaler("default", {
        "metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "minReplicas": 1, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})

    def replicas():
        return apps.read_namespaced_deployment("api", "default").spec.replicas

    apps.patch_namespaced_deployment_scale("api", "default", {"spec": {"replicas": 3}})
    assert wait_for(lambda: replicas() == 1)  # undone at the next sync
    hpas.patch_namespaced_horizontal_pod_autoscaler("api", "default", {"spec": {"minReplicas": 3}})
    assert wait_for(lambda: replicas() == 3)
    assert wait_for(lambda: hpas.read_namespaced_horizontal_pod_autoscaler("api", "default").status.current_replicas == 3)
    hpas.patch_namespaced_horizontal_pod_autoscaler("api", "default", {"metadata": {"annotations": {"sandbox.cloudops.io/load-replicas": "9"}}})
    assert wait_for(lambda: replicas() == 5)  # the load wants 9, maxReplicas caps it
    apps.patch_namespaced_deployment_scale("api", "default", {"spec": {"replicas": 0}})
    hpas.patch_namespaced_horizontal_pod_autoscaler("api", "default", {"spec": {"minReplicas": 2}})
    with pytest.raises(AssertionError):
        wait_for(lambda: replicas() != 0, timeout=2.5)
