"""The emulator's OpenAPI v2/v3 documents (from kubernetes-validate's schemas) and its server-side field validation.

test_real_tools.py drives the real helm and kubectl against the same documents; these tests need no binaries.
"""
import json

from sandbox.k8s import openapi, protobuf, resources
from sandbox.tests.k8s_helpers import deployment, emulator, http  # noqa: F401 (pytest fixtures)

GVK_EXT = "x-kubernetes-group-version-kind"


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_definitions_come_from_kubernetes_validate_in_openapi_form():
    defs = openapi.definitions()
    assert len(defs) > 500  # the whole API's definitions, as a real /openapi/v2 has them
    dep = defs["io.k8s.api.apps.v1.Deployment"]
    assert dep[GVK_EXT] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert dep["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    assert "enum" not in dep["properties"]["kind"]  # kubernetes-validate's pinning enums are not the API's
    containers = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name" and containers["type"] == "array"
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] == "string"
    for node in _walk(defs):  # JSON schema 2020-12 constructs are all folded back
        assert not str(node.get("$ref", "")).startswith("#/$defs/")
        assert node.get("type") != "null" and not isinstance(node.get("type"), list)
        assert not isinstance(node.get("oneOf"), list)  # (a dict there is JSONSchemaProps' property "oneOf")


def test_v3_index_and_group_version_documents(emulator):
    status, _, index = http(emulator, "GET", "/openapi/v3")
    assert status == 200
    served = {("api/v1" if not r.group else f"apis/{r.group}/{r.version}") for r in resources.RESOURCES}
    assert set(index["paths"]) == served
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    status, headers, doc = http(emulator, "GET", url, headers={"Accept": "application/json"})
    assert status == 200 and doc["openapi"].startswith("3.0") and headers["Cache-Control"] == "public, immutable"
    schemas = doc["components"]["schemas"]
    assert {"io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.PodSpec",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"} <= set(schemas)
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch[GVK_EXT] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    # helm v4 and kubectl look for this parameter to leave validation to the server (then send Strict)
    assert {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}} in patch["parameters"]
    assert "application/apply-patch+yaml" in patch["requestBody"]["content"]
    scale = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale[GVK_EXT]["kind"] == "Scale"
    refs = {n["$ref"].rsplit("/", 1)[-1] for n in _walk(doc) if "$ref" in n}
    assert refs <= set(schemas)  # every reference resolves inside the document
    assert http(emulator, "GET", "/openapi/v3/apis/nope/v1")[0] == 404


def test_v2_as_json_and_as_the_gnostic_protobuf_client_go_asks_for(emulator):
    status, headers, doc = http(emulator, "GET", "/openapi/v2")
    assert status == 200 and headers["Content-Type"] == "application/json" and doc["swagger"] == "2.0"
    assert doc["definitions"] == json.loads(json.dumps(openapi.definitions()))
    op = doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"]
    assert op[GVK_EXT]["kind"] == "ConfigMap" and "application/strategic-merge-patch+json" in op["consumes"]

    status, headers, raw = http(emulator, "GET", "/openapi/v2", headers={"Accept": openapi.V2_PROTOBUF})
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    top = {}
    for num, _, value in protobuf.fields(raw):
        top.setdefault(num, []).append(value)
    assert top[1] == [b"2.0"]  # Document.swagger
    names = {}
    for _, _, named in protobuf.fields(top[9][0]):  # Document.definitions -> NamedSchema
        entry = dict((n, v) for n, _, v in protobuf.fields(named))
        names[entry[1].decode()] = entry[2]
    assert set(names) == set(openapi.definitions())
    dep = {n: v for n, _, v in protobuf.fields(names["io.k8s.api.apps.v1.Deployment"])}
    assert b"Deployment enables declarative updates" in dep[4]  # Schema.description
    extension = dict((n, v) for n, _, v in protobuf.fields(dep[31]))  # Schema.vendor_extension
    assert extension[1] == GVK_EXT.encode() and b"kind: Deployment" in extension[2]
    paths = [dict((n, v) for n, _, v in protobuf.fields(p))[1] for n, _, p in protobuf.fields(top[8][0]) if n == 2]
    assert b"/apis/apps/v1/namespaces/{namespace}/deployments/{name}" in paths


def test_wrong_types_are_refused_like_a_real_api_server(emulator):
    bad = deployment("web")
    bad["spec"]["replicas"] = "two"
    status, _, body = http(emulator, "POST", "/apis/apps/v1/namespaces/default/deployments", bad)
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
                               "string into Go struct field DeploymentSpec.spec.replicas of type int32")
    status, _, body = http(emulator, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=helm",
                           bad, content_type="application/apply-patch+yaml")
    assert status == 400 and body["message"] == ("failed to create typed patch object (apps/v1, Kind=Deployment): "
                                                 ".spec.replicas: expected numeric (int or float), got string")
    assert http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments/web")[0] == 404  # nothing created

    assert http(emulator, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web"))[0] == 201
    port = {"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": "http"}]}]}}}}
    status, _, body = http(emulator, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", port,
                           content_type="application/strategic-merge-patch+json")
    assert status == 400 and "Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort" \
        in body["message"]
    _, _, stored = http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert stored["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 8080}]
    # int-or-string and quantities take both forms, as on a real cluster
    ok = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
                   "template": {"spec": {"containers": [{"name": "app", "resources": {
                       "limits": {"cpu": 1, "memory": "64Mi"}}}]}}}}
    assert http(emulator, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", ok,
                content_type="application/strategic-merge-patch+json")[0] == 200


def test_unknown_fields_refused_under_strict_and_warned_otherwise(emulator):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}, "bogus": 1}
    status, _, body = http(emulator, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", cm)
    assert status == 400 and body["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                                                 'strict decoding error: unknown field "bogus"')
    status, _, body = http(emulator, "PATCH", "/api/v1/namespaces/default/configmaps/c?fieldManager=m&"
                           "fieldValidation=Strict", cm, content_type="application/apply-patch+yaml")
    assert status == 400 and body["message"].endswith(": .bogus: field not declared in schema")
    status, headers, _ = http(emulator, "POST", "/api/v1/namespaces/default/configmaps", cm)
    assert status == 201 and headers["Warning"] == '299 - "unknown field \\"bogus\\""'
    status, _, body = http(emulator, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Loud", cm)
    assert status == 400 and "fieldValidation" in body["message"]


TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")


def test_tables_for_kubectl_get_list_item_and_watch(emulator):
    created = http(emulator, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web", replicas=2))
    assert created[0] == 201
    status, _, table = http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments",
                            headers={"Accept": TABLE})
    assert status == 200 and table["kind"] == "Table"
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
    assert [c["priority"] for c in table["columnDefinitions"]][5:] == [1, 1, 1]  # what -o wide adds
    row = table["rows"][0]
    assert row["cells"][0] == "web" and row["cells"][1].endswith("/2")  # (the controller may be rolling it out)
    assert all(isinstance(c, int) for c in row["cells"][2:4]) and row["cells"][5:] == ["app", "nginx:1.25", "app=web"]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "web"
    _, _, one = http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments/web?includeObject=Object",
                     headers={"Accept": TABLE})
    assert one["rows"][0]["object"]["spec"]["replicas"] == 2
    _, _, plain = http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert plain["kind"] == "Deployment"  # clients that ask for no Table get the object
    _, _, namespaces = http(emulator, "GET", "/api/v1/namespaces", headers={"Accept": TABLE})
    assert {tuple(r["cells"][:2]) for r in namespaces["rows"]} >= {("default", "Active"), ("kube-system", "Active")}

    _, _, raw = http(emulator, "GET", "/apis/apps/v1/namespaces/default/deployments?watch=true&timeoutSeconds=1",
                     headers={"Accept": TABLE})
    events = [json.loads(line) for line in raw.decode().splitlines()] if isinstance(raw, bytes) else [raw]
    assert events[0]["type"] == "ADDED" and events[0]["object"]["kind"] == "Table"
    assert events[0]["object"]["columnDefinitions"] and events[0]["object"]["rows"][0]["cells"][0] == "web"
