"""Kubernetes emulator: discovery, CRUD, selectors, errors, patches, subresources, protobuf bodies."""
import base64

import pytest
from kubernetes.client.rest import ApiException

from sandbox.k8s.protobuf import MAGIC, enc_field, enc_map, encode_secret
from sandbox.tests.k8s_helpers import (  # noqa: F401 - fixtures
    api, apps, core, deployment, dyn, emulator, http, kubeconfig)

PROTOBUF = "application/vnd.kubernetes.protobuf"


def test_discovery_legacy_forms(emulator):
    status, _, body = http(emulator, "GET", "/api")
    assert status == 200 and body["versions"] == ["v1"]
    aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    status, headers, body = http(emulator, "GET", "/apis", headers={"Accept": aggregated})
    assert headers["Content-Type"] == "application/json" and body["kind"] == "APIGroupList"
    assert {"apps", "batch", "networking.k8s.io", "policy", "autoscaling", "rbac.authorization.k8s.io"} <= {
        g["name"] for g in body["groups"]}
    _, _, apps_list = http(emulator, "GET", "/apis/apps/v1")
    by_name = {r["name"]: r for r in apps_list["resources"]}
    assert by_name["deployments"]["namespaced"] and by_name["deployments"]["shortNames"] == ["deploy"]
    assert by_name["deployments/scale"]["kind"] == "Scale" and "deployments/status" in by_name
    _, _, core_list = http(emulator, "GET", "/api/v1")
    ns = next(r for r in core_list["resources"] if r["name"] == "namespaces")
    assert ns["namespaced"] is False and ns["kind"] == "Namespace"
    assert http(emulator, "GET", "/version")[2]["major"] == "1"
    # OpenAPI is served since the real helm/kubectl need it (test_k8s_openapi.py checks the documents)
    assert http(emulator, "GET", "/openapi/v2")[0] == 200


def test_crud_metadata_and_errors(core):
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", "kube-public"} <= names
    core.create_namespace({"metadata": {"name": "shop"}})
    cm = core.create_namespaced_config_map("shop", {"metadata": {"generateName": "cfg-"}, "data": {"a": "1"}})
    assert cm.metadata.name.startswith("cfg-") and cm.metadata.uid and cm.metadata.namespace == "shop"
    assert cm.metadata.creation_timestamp is not None
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("shop", {"metadata": {"name": cm.metadata.name}})
    assert exc.value.status == 409 and '"reason": "AlreadyExists"' in exc.value.body
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("missing", "shop")
    assert exc.value.status == 404 and '"kind": "Status"' in exc.value.body
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nope", {"metadata": {"name": "x"}})
    assert exc.value.status == 404  # namespace must exist
    # PUT with a stale resourceVersion conflicts; with the current one it succeeds and bumps it
    stale = cm.metadata.resource_version
    cm.data = {"a": "2"}
    updated = core.replace_namespaced_config_map(cm.metadata.name, "shop", cm)
    assert int(updated.metadata.resource_version) > int(stale) and updated.data == {"a": "2"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map(cm.metadata.name, "shop", cm)
    assert exc.value.status == 409 and "Conflict" in exc.value.body
    core.delete_namespaced_config_map(cm.metadata.name, "shop")
    assert core.list_namespaced_config_map("shop").items == []


def test_secret_string_data_and_list_kind(emulator, core):
    core.create_namespaced_secret("default", {"metadata": {"name": "s", "labels": {"tier": "db"}},
                                              "stringData": {"password": "hunter2"}})
    secret = core.read_namespaced_secret("s", "default")
    assert base64.b64decode(secret.data["password"]) == b"hunter2" and secret.type == "Opaque"
    _, _, body = http(emulator, "GET", "/api/v1/secrets")
    assert body["kind"] == "SecretList" and body["apiVersion"] == "v1" and body["metadata"]["resourceVersion"]


def test_label_and_field_selectors(core):
    for name, labels in [("a", {"app": "web", "tier": "fe"}), ("b", {"app": "web", "tier": "be"}),
                         ("c", {"app": "db"}), ("d", {})]:
        core.create_namespaced_config_map("default", {"metadata": {"name": name, "labels": labels}})

    def names(**kw):
        return sorted(i.metadata.name for i in core.list_namespaced_config_map("default", **kw).items)
    assert names(label_selector="app=web") == ["a", "b"]
    assert names(label_selector="app==web,tier!=fe") == ["b"]
    assert names(label_selector="app in (web, db)") == ["a", "b", "c"]
    assert names(label_selector="app notin (web)") == ["c", "d"]
    assert names(label_selector="tier") == ["a", "b"]
    assert names(label_selector="!app") == ["d"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.name!=c,metadata.namespace=default") == ["a", "b", "d"]
    core.delete_collection_namespaced_config_map("default", label_selector="app=web")
    assert names() == ["c", "d"]


def test_namespace_delete_cascades(core):
    core.create_namespace({"metadata": {"name": "tmp"}})
    core.create_namespaced_config_map("tmp", {"metadata": {"name": "x"}})
    core.delete_namespace("tmp")
    with pytest.raises(ApiException) as exc:
        core.read_namespace("tmp")
    assert exc.value.status == 404
    assert core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=tmp").items == []


def test_generation_status_and_scale(emulator, apps):
    d = apps.create_namespaced_deployment("default", deployment("web"))
    assert d.metadata.generation == 1 and not d.status.replicas
    d = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"x": "y"}}})
    assert d.metadata.generation == 1  # metadata change
    d = apps.patch_namespaced_deployment_status("web", "default", {"status": {"replicas": 7}})
    assert d.metadata.generation == 1 and d.status.replicas == 7
    d = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}, "status": {"replicas": 1}})
    assert d.metadata.generation == 2 and d.spec.replicas == 3  # status ignored on the main resource
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 3 and scale.status.selector == "app=web"
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 5
    status, _, body = http(emulator, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                           {"apiVersion": "autoscaling/v1", "kind": "Scale",
                            "metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 0}})
    assert status == 200 and body["kind"] == "Scale" and body["spec"]["replicas"] == 0


def test_patch_types(emulator):
    http(emulator, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web"))
    base = "/apis/apps/v1/namespaces/default/deployments/web"
    _, _, d = http(emulator, "PATCH", base, {"metadata": {"labels": {"app": None, "new": "1"}}},
                   "application/merge-patch+json")
    assert d["metadata"]["labels"] == {"new": "1"}
    _, _, d = http(emulator, "PATCH", base, [{"op": "replace", "path": "/spec/replicas", "value": 4},
                                             {"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}],
                   "application/json-patch+json")
    assert d["spec"]["replicas"] == 4 and d["metadata"]["annotations"] == {"a": "b"}
    status, _, err = http(emulator, "PATCH", base, [{"op": "test", "path": "/spec/replicas", "value": 9}],
                          "application/json-patch+json")
    assert status == 422 and err["kind"] == "Status"
    status, _, err = http(emulator, "PATCH", base, {"spec": {"replicas": 1}}, "application/xml")
    assert status == 415


def test_strategic_merge_directives(emulator):
    dep = deployment("web")
    spec = dep["spec"]["template"]["spec"]
    spec["containers"][0]["env"] = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    spec["containers"].append({"name": "sidecar", "image": "busybox", "ports": [{"containerPort": 9000}]})
    spec["volumes"] = [{"name": "v1", "emptyDir": {}}, {"name": "v2", "emptyDir": {}}]
    dep["metadata"]["finalizers"] = ["a/b", "c/d"]
    http(emulator, "POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    smp = "application/strategic-merge-patch+json"
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a/b"]},
             "spec": {"template": {"spec": {
                 "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
                 "containers": [
                     {"name": "app", "image": "nginx:2",
                      "env": [{"name": "B", "$patch": "delete"}, {"name": "C", "value": "3"}],
                      "ports": [{"containerPort": 8080, "name": "http"}]}],
                 "volumes": [{"name": "v2", "$patch": "delete"}],
                 "tolerations": [{"key": "k", "operator": "Exists"}]}}}}
    status, _, d = http(emulator, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", patch, smp)
    assert status == 200, d
    pod = d["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["sidecar", "app"]
    app = pod["containers"][1]
    assert app["image"] == "nginx:2" and app["env"] == [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    assert app["ports"] == [{"containerPort": 8080, "name": "http"}]
    assert [v["name"] for v in pod["volumes"]] == ["v1"] and pod["tolerations"][0]["key"] == "k"
    assert d["metadata"]["finalizers"] == ["c/d"]
    assert not any(k.startswith("$") for k in str(d).split("'") if k)
    # $patch: replace on a map and $retainKeys
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "template": {"metadata": {"labels": {"$patch": "replace", "app": "web", "v": "2"}}}}}
    _, _, d = http(emulator, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", patch, smp)
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    assert d["spec"]["template"]["metadata"]["labels"] == {"app": "web", "v": "2"}


def test_server_side_apply_creates_then_updates(emulator, dyn):
    res = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
            "data": {"a": "1"}}
    created = res.server_side_apply(body=body, name="ssa", namespace="default", field_manager="test")
    assert created.data.a == "1"
    body["data"] = {"b": "2"}
    updated = res.server_side_apply(body=body, name="ssa", namespace="default", field_manager="test",
                                    force_conflicts=True)
    assert updated.data.b == "2" and updated.metadata.uid == created.metadata.uid
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n"
    status, _, obj = http(emulator, "PATCH", "/api/v1/namespaces/default/configmaps/y?fieldManager=m",
                          yaml_body, "application/apply-patch+yaml")
    assert status == 201 and obj["data"] == {"k": "v"}


def test_protobuf_secret_and_configmap(emulator, core):
    url = "/api/v1/namespaces/default/secrets"
    body = encode_secret("sh.helm.release.v1.shop.v1", "default", data={"release": b"\x1f\x8b\x00binary"},
                         labels={"owner": "helm", "status": "deployed"}, type_="helm.sh/release.v1")
    status, _, obj = http(emulator, "POST", url, body, PROTOBUF)
    assert status == 201, obj
    secret = core.read_namespaced_secret("sh.helm.release.v1.shop.v1", "default")
    assert base64.b64decode(secret.data["release"]) == b"\x1f\x8b\x00binary"
    assert secret.type == "helm.sh/release.v1" and secret.metadata.labels["owner"] == "helm"
    assert [s.metadata.name for s in core.list_namespaced_secret("default", label_selector="owner=helm").items] \
        == ["sh.helm.release.v1.shop.v1"]
    # PUT (Helm's storage Update) with protobuf, including the optimistic-concurrency resourceVersion
    body = encode_secret("sh.helm.release.v1.shop.v1", "default", data={"release": b"v2"},
                         labels={"owner": "helm", "status": "superseded"}, type_="helm.sh/release.v1",
                         resource_version=obj["metadata"]["resourceVersion"])
    status, _, obj = http(emulator, "PUT", url + "/sh.helm.release.v1.shop.v1", body, PROTOBUF)
    assert status == 200 and obj["metadata"]["labels"]["status"] == "superseded"
    status, _, _ = http(emulator, "PUT", url + "/sh.helm.release.v1.shop.v1", body, PROTOBUF)
    assert status == 409  # the same (now stale) resourceVersion again
    # ConfigMap: data map<string,string>, binaryData map<string,bytes>
    meta = enc_field(1, "cm") + enc_map(11, {"a": "b"})
    raw = enc_field(1, meta) + enc_map(2, {"k": "v"}) + enc_map(3, {"bin": b"\x00\x01"})
    envelope = MAGIC + enc_field(1, enc_field(1, "v1") + enc_field(2, "ConfigMap")) + enc_field(2, raw)
    status, _, obj = http(emulator, "POST", "/api/v1/namespaces/default/configmaps", envelope, PROTOBUF)
    assert status == 201 and obj["data"] == {"k": "v"} and obj["binaryData"] == {"bin": "AAE="}
    assert obj["metadata"]["labels"] == {"a": "b"}
