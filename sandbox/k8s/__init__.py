"""Kubernetes API emulator for the sandbox (stdlib HTTP server + simulated controllers).

    handle = start_emulator(port=0, name="primary")   # serves in background threads of this process
    write_kubeconfig("kubeconfig.yaml", handle.url, "primary")
    ...
    handle.reset(); handle.stop()

It serves what the real helm v4 and kubectl need (tools/install-k8s-tools.sh installs them): discovery, OpenAPI v2/v3
built from kubernetes-validate's schemas and the server-side validation that goes with it (openapi.py), Tables for
`kubectl get` (tables.py), server-side apply (store.py, ownership.py); sandbox/tests/test_real_tools.py drives them.

Admin endpoints (plain JSON over HTTP, no auth):
    GET  /sandbox/healthz
    POST /sandbox/reset                                  # empty the store, keep the default namespaces
    GET  /sandbox/rollout                                # list rollout rules
    POST /sandbox/rollout {"namespace": ns, "name": n, "ready": false|true|null}
"""
import os
import threading

import yaml

from . import openapi
from .controller import KNOB_ANNOTATION, Controller
from .server import EmulatorHTTPServer
from .store import Store

__all__ = ["start_emulator", "write_kubeconfig", "EmulatorHandle", "KNOB_ANNOTATION"]


class EmulatorHandle:
    """A running emulator: .url, .port, .name, .store, .controller, .stop(), .reset(), .set_rollout()."""

    def __init__(self, server, store, controller, name):
        self.server, self.store, self.controller, self.name = server, store, controller, name
        self.host, self.port = server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"k8s-emulator-{name}", daemon=True)

    def reset(self):
        """Back to an empty cluster with the default namespaces; rollout rules are cleared."""
        self.controller.reset()
        self.store.reset()

    def snapshot(self):
        """The cluster as it is now, for restore(): e.g. right after its releases were installed and rolled out."""
        return self.store.snapshot()

    def restore(self, snapshot):
        """Back to a snapshot() without re-running what built it; rollout rules are cleared (as reset does)."""
        self.controller.reset()
        with self.store.lock:  # the controller reconciles under this lock: it sees the pods adopted
            self.store.restore(snapshot)
            self.controller.adopt([obj for res, objs in snapshot["objects"].items() if res.kind == "Pod"
                                   for obj in objs])

    def set_rollout(self, namespace, name, ready):
        """Same as POST /sandbox/rollout: ready False = never ready, True = force ready, None = clear."""
        self.controller.set_rule(namespace, name, ready)

    def stop(self):
        if self.server.stopping.is_set():
            return  # idempotent
        self.server.stopping.set()  # watch streams end within ~0.25 s
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self.controller.stop()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_emulator(host="127.0.0.1", port=0, name="primary", ready_delay=None):
    """Start an emulator on host:port (0 = a free port) and return its handle once it accepts connections.

    ready_delay: seconds before a new pod reports Ready (default 0.2, or $SANDBOX_K8S_READY_DELAY).
    """
    if ready_delay is None:
        ready_delay = float(os.environ.get("SANDBOX_K8S_READY_DELAY", "0.2"))
    store = Store()
    controller = Controller(store, ready_delay=ready_delay)
    server = EmulatorHTTPServer((host, port), store, controller, name)
    handle = EmulatorHandle(server, store, controller, name)
    threading.Thread(target=openapi.warm, name=f"k8s-openapi-{name}", daemon=True).start()
    controller.start()
    handle._thread.start()
    return handle


def write_kubeconfig(path, server_url, cluster_name, context_name=None):
    """Write a kubeconfig with one cluster/user/context pointing at server_url (no TLS, no credentials)."""
    context_name = context_name or cluster_name
    user = f"{cluster_name}-user"
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": cluster_name, "cluster": {"server": server_url}}],
        "users": [{"name": user, "user": {}}],
        "contexts": [{"name": context_name, "context": {"cluster": cluster_name, "user": user,
                                                         "namespace": "default"}}],
        "current-context": context_name,
    }
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)
