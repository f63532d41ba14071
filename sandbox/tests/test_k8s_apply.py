"""Server-side apply field ownership in the Kubernetes API emulator."""
from sandbox.tests.k8s_helpers import emulator, http  # noqa: F401 - fixtures

APPLY = "application/apply-patch+yaml"
CM = "/api/v1/namespaces/default/configmaps/own"
DEP = "/apis/apps/v1/namespaces/default/deployments/web"


def _apply(emulator, path, body, manager, force=False):
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    return http(emulator, "PATCH", path + query, body, APPLY)


def _cm(annotations=None, data=None):
    meta = {"name": "own"}
    if annotations is not None:
        meta["annotations"] = annotations
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    if data is not None:
        body["data"] = data
    return body


def _deployment(env, annotations=None):
    template_meta = {"labels": {"app": "web"}}
    if annotations:
        template_meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": template_meta,
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1", "env": env,
                                                           "ports": [{"containerPort": 80}]}]}}}}


def test_reapply_without_a_field_removes_it(emulator):
    status, _, obj = _apply(emulator, CM, _cm({"a": "1", "b": "2"}), "mgr")
    assert status == 201 and obj["metadata"]["annotations"] == {"a": "1", "b": "2"}
    entry, = obj["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["fieldsType"], entry["apiVersion"]) == \
        ("mgr", "Apply", "FieldsV1", "v1")
    assert entry["fieldsV1"] == {"f:metadata": {"f:annotations": {"f:a": {}, "f:b": {}}}}
    status, _, obj = _apply(emulator, CM, _cm({"a": "1"}), "mgr")
    assert status == 200 and obj["metadata"]["annotations"] == {"a": "1"}
    assert obj["metadata"]["managedFields"][0]["fieldsV1"] == {"f:metadata": {"f:annotations": {"f:a": {}}}}
    # an identical re-apply is a no-op (no new resourceVersion)
    _, _, again = _apply(emulator, CM, _cm({"a": "1"}), "mgr")
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_managers_only_remove_their_own_fields(emulator):
    _apply(emulator, CM, _cm({"a": "1"}, {"x": "1"}), "one")
    _, _, obj = _apply(emulator, CM, _cm({"b": "2"}, {"x": "1", "y": "2"}), "two")
    assert obj["metadata"]["annotations"] == {"a": "1", "b": "2"} and obj["data"] == {"x": "1", "y": "2"}
    assert sorted(e["manager"] for e in obj["metadata"]["managedFields"]) == ["one", "two"]
    # "one" drops annotation a and data x: a goes, x stays (co-owned by "two")
    _, _, obj = _apply(emulator, CM, _cm(), "one")
    assert obj["metadata"]["annotations"] == {"b": "2"} and obj["data"] == {"x": "1", "y": "2"}
    # "two" drops everything: its fields go, the emptied maps are pruned
    _, _, obj = _apply(emulator, CM, _cm(), "two")
    assert "annotations" not in obj["metadata"] and "data" not in obj


def test_conflicting_apply_needs_force(emulator):
    _apply(emulator, CM, _cm(data={"x": "1"}), "one")
    status, _, err = _apply(emulator, CM, _cm(data={"x": "2"}), "two")
    assert status == 409 and err["reason"] == "Conflict" and ".data.x" in err["message"]
    assert err["details"]["causes"][0]["field"] == ".data.x"
    status, _, obj = _apply(emulator, CM, _cm(data={"x": "2"}), "two", force=True)
    assert status == 200 and obj["data"] == {"x": "2"}
    # "one" lost the field, so dropping it from its apply leaves it alone
    _, _, obj = _apply(emulator, CM, _cm(), "one")
    assert obj["data"] == {"x": "2"}


def test_container_env_var_removed_on_reapply(emulator):
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    status, _, dep = _apply(emulator, DEP, _deployment(env, {"note": "x"}), "helm")
    assert status == 201
    fields = dep["metadata"]["managedFields"][0]["fieldsV1"]
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert set(container["f:env"]) == {'k:{"name":"A"}', 'k:{"name":"B"}'}
    assert container["."] == {} and container["f:env"]['k:{"name":"A"}'] == {".": {}, "f:name": {}, "f:value": {}}
    _, _, dep = _apply(emulator, DEP, _deployment([{"name": "A", "value": "1"}]), "helm")
    spec = dep["spec"]["template"]
    assert spec["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert "annotations" not in spec["metadata"]
    assert dep["metadata"]["generation"] == 2
    # server defaults and fields no apply manager owns stay
    assert dep["spec"]["replicas"] == 1 and dep["spec"]["strategy"]["type"] == "RollingUpdate"


def test_other_writers_do_not_take_apply_ownership(emulator):
    _apply(emulator, CM, _cm({"a": "1", "b": "2"}), "mgr")
    # a merge patch (not tracked) changes b and adds c; a PUT sends managedFields back (ignored)
    _, _, obj = http(emulator, "PATCH", CM, {"metadata": {"annotations": {"b": "3", "c": "4"}}},
                     "application/merge-patch+json")
    obj["metadata"]["managedFields"] = [{"manager": "evil", "operation": "Apply", "fieldsType": "FieldsV1",
                                         "fieldsV1": {"f:metadata": {"f:annotations": {"f:a": {}}}}}]
    status, _, obj = http(emulator, "PUT", CM, obj)
    assert status == 200 and [e["manager"] for e in obj["metadata"]["managedFields"]] == ["mgr"]
    _, _, obj = _apply(emulator, CM, _cm({"a": "1"}), "mgr")
    assert obj["metadata"]["annotations"] == {"a": "1", "c": "4"}


def test_delete_and_reset_drop_ownership(emulator):
    _apply(emulator, CM, _cm({"a": "1"}), "one")
    assert http(emulator, "DELETE", CM)[0] == 200
    status, _, obj = http(emulator, "POST", "/api/v1/namespaces/default/configmaps",
                          {**_cm({"a": "1"}), "metadata": {"name": "own", "annotations": {"a": "1"},
                                                           "managedFields": [{"manager": "x"}]}})
    assert status == 201 and "managedFields" not in obj["metadata"]
    _, _, obj = _apply(emulator, CM, _cm({"b": "2"}), "one")  # no stale ownership of a
    assert obj["metadata"]["annotations"] == {"a": "1", "b": "2"}
    assert http(emulator, "POST", "/sandbox/reset")[0] == 200
    status, _, obj = _apply(emulator, CM, _cm({"c": "3"}), "one")
    assert status == 201 and [e["manager"] for e in obj["metadata"]["managedFields"]] == ["one"]
    assert obj["metadata"]["managedFields"][0]["fieldsV1"] == {"f:metadata": {"f:annotations": {"f:c": {}}}}
