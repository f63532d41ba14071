"""Kubernetes emulator: watch streams (python client, WatchList bookmark, resourceVersion resume, stop)."""
import json
import threading
import time
import urllib.request

from kubernetes import watch

from sandbox.tests.k8s_helpers import api, core, emulator, http, kubeconfig  # noqa: F401 - fixtures


def _stream(emulator, query, out, timeout=10):
    url = f"{emulator.url}/api/v1/namespaces/default/configmaps?watch=true&{query}"
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        for line in resp:
            out.append(json.loads(line))


def test_python_client_watch_sees_changes_with_selector(core):
    events = []

    def run():
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, "default", label_selector="app=web",
                           timeout_seconds=3):
            events.append((ev["type"], ev["object"].metadata.name))
            if len(events) == 3:
                w.stop()
    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)
    core.create_namespaced_config_map("default", {"metadata": {"name": "skip", "labels": {"app": "db"}}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "w", "labels": {"app": "web"}}})
    core.patch_namespaced_config_map("w", "default", {"data": {"a": "1"}})
    core.delete_namespaced_config_map("w", "default")
    t.join(10)
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_send_initial_events_ends_with_bookmark(emulator):
    http(emulator, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "one"}})
    http(emulator, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "two"}})
    _, _, listing = http(emulator, "GET", "/api/v1/namespaces/default/configmaps")
    events = []
    started = time.monotonic()
    _stream(emulator, "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
                      "&timeoutSeconds=1", events)
    assert 0.9 < time.monotonic() - started < 3  # timeoutSeconds honoured
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    assert {e["object"]["metadata"]["name"] for e in events[:2]} == {"one", "two"}
    bookmark = events[-1]["object"]
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert bookmark["metadata"]["resourceVersion"] == listing["metadata"]["resourceVersion"]


def test_resource_version_resume_sends_nothing_older(emulator):
    _, _, first = http(emulator, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "old"}})
    http(emulator, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "new"}})
    events = []
    _stream(emulator, f"resourceVersion={first['metadata']['resourceVersion']}&timeoutSeconds=1", events)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "new")]
    assert events[0]["object"]["kind"] == "ConfigMap"


def test_watch_does_not_block_and_ends_on_stop(emulator):
    events = []
    t = threading.Thread(target=_stream, args=(emulator, "", events, 30))
    t.start()
    time.sleep(0.2)
    assert http(emulator, "GET", "/sandbox/healthz")[0] == 200  # other requests are served meanwhile
    started = time.monotonic()
    emulator.stop()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - started < 2
