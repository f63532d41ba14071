"""Fixtures and helpers for the Kubernetes emulator tests (imported by the test_k8s_* modules)."""
import json
import time
import urllib.request

import pytest
from kubernetes import client, config, dynamic

from sandbox.k8s import start_emulator, write_kubeconfig


@pytest.fixture
def emulator():
    handle = start_emulator(port=0, name="test")
    yield handle
    handle.stop()


@pytest.fixture
def kubeconfig(emulator, tmp_path):
    path = tmp_path / "kubeconfig.yaml"
    write_kubeconfig(str(path), emulator.url, "test-cluster", "test-context")
    return str(path)


@pytest.fixture
def cluster(emulator, kubeconfig):
    """The emulator with the path of its kubeconfig attached (what helm and ansible-playbook runs are given)."""
    emulator.kubeconfig = kubeconfig
    return emulator


@pytest.fixture
def api(kubeconfig):
    api_client = config.new_client_from_config(kubeconfig)
    yield api_client
    api_client.close()


@pytest.fixture
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api):
    return client.AppsV1Api(api)


@pytest.fixture
def dyn(api):
    return dynamic.DynamicClient(api)


def http(emulator, method, path, body=None, content_type="application/json", headers=None):
    """Raw request; returns (status, headers, parsed JSON or bytes)."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(emulator.url + path, data=data, method=method,
                                 headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw, status, hdrs = resp.read(), resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        raw, status, hdrs = exc.read(), exc.code, exc.headers
    try:
        return status, hdrs, json.loads(raw)
    except ValueError:
        return status, hdrs, raw


def wait_for(predicate, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def deployment(name, replicas=2, image="nginx:1.25", labels=None, annotations=None):
    labels = labels or {"app": name}
    meta = {"name": name, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": image,
                                                           "ports": [{"containerPort": 8080}]}]}}}}
