"""HTTP front end of the emulator: discovery, OpenAPI, REST routing, patches, watches and the /sandbox admin endpoints.

Stdlib ThreadingHTTPServer speaking HTTP/1.1 (keep-alive; chunked watch streams). Responses are JSON, except the
OpenAPI v2 protobuf (openapi.py) and pod logs; `kubectl get` gets Tables (tables.py). Writes are validated against
the OpenAPI schemas (wrong types refused; unknown fields refused under fieldValidation=Strict) as a real server does.
"""
import json
import logging
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from . import patch as patchlib
from . import openapi, protobuf, resources, tables
from .errors import ApiError, conflict, not_found
from .selectors import parse_field_selector, parse_label_selector, selector_string

log = logging.getLogger("sandbox.k8s")

VERSION_INFO = {
    "major": "1", "minor": "34", "gitVersion": "v1.34.0", "gitCommit": "sandbox", "gitTreeState": "clean",
    "buildDate": "2025-08-27T00:00:00Z", "goVersion": "go1.24.6", "compiler": "gc", "platform": "linux/amd64",
}
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": None,
}
# fieldValidation values (the real default, when a client sends none, is Warn).
FIELD_VALIDATION = {"Strict", "Warn", "Ignore"}
# Kinds returned as the object (not a Status) by DELETE, like the real API server.
DELETE_RETURNS_OBJECT = {"Namespace", "Pod"}


def _truthy(value):
    return str(value).lower() in ("true", "1")


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # listen() backlog: the stdlib's 5 resets connections when many helm/kubectl processes start at once
    # (seeding installs every release in parallel); a real API server's backlog is the kernel's somaxconn.
    request_queue_size = 512

    def __init__(self, addr, store, controller, name):
        self.store, self.controller, self.name = store, controller, name
        self.stopping = threading.Event()
        self._conns = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, Handler)

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        """Unblock handler threads parked on keep-alive reads so stop() leaves nothing behind."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: a response's headers and body are two writes; with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers (~40 ms a request on keep-alive connections: 45 ms per Python-client call,
    # ~1 s per helm install, instead of ~1 ms).
    disable_nagle_algorithm = True
    server_version = "sandbox-k8s/1"

    def log_message(self, fmt, *args):  # route access logs to logging instead of stderr
        log.debug("%s %s", self.server.name, fmt % args)

    # ------------------------------------------------------------ plumbing
    def _send(self, code, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in list(headers or []) + getattr(self, "_warnings", []):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _content_type(self):
        return (self.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()

    def _decode(self, raw, allow_yaml=False):
        if not raw:
            raise ApiError(400, "BadRequest", "request body is empty")
        if raw.startswith(protobuf.MAGIC):
            try:
                return protobuf.decode(raw)
            except protobuf.ProtobufError as exc:
                raise ApiError(400, "BadRequest", f"cannot decode protobuf body: {exc}")
        try:
            return yaml.safe_load(raw) if allow_yaml else json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(400, "BadRequest", f"cannot decode request body: {exc}")

    def _dispatch(self):
        parsed = urllib.parse.urlsplit(self.path)
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        path = parsed.path.rstrip("/") or "/"
        self._warnings = []
        try:
            self._route(path)
        except ApiError as exc:
            self._send(exc.code, exc.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except patchlib.PatchError as exc:
            self._send(422, ApiError(422, "Invalid", str(exc)).status())
        except Exception as exc:  # noqa: BLE001 - an emulator bug must answer 500, not hang the client
            log.exception("internal error on %s %s", self.command, self.path)
            self._send(500, ApiError(500, "InternalError", f"{type(exc).__name__}: {exc}").status())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = lambda self: self._dispatch()

    # ------------------------------------------------------------ routing
    def _route(self, path):
        parts = path.strip("/").split("/") if path != "/" else []
        if path.startswith("/sandbox"):
            return self._admin(parts[1:])
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, b"ok", "text/plain")
        if path == "/version":
            return self._send(200, VERSION_INFO)
        if path == "/openapi/v2" or path.startswith("/openapi/v3"):
            try:
                return self._openapi(path)
            except openapi.SchemaSourceMissing as exc:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({exc})") from exc
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{self.server.server_address[0]}:"
                                                               f"{self.server.server_address[1]}"}]})
        if path == "/apis":
            return self._send(200, self._group_list())
        if parts and parts[0] == "api" and len(parts) >= 2:
            return self._resource_route("", parts[1], parts[2:])
        if parts and parts[0] == "apis" and len(parts) == 2:
            group = next((g for g in self._group_list()["groups"] if g["name"] == parts[1]), None)
            if group is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, {"kind": "APIGroup", "apiVersion": "v1", **group})
        if parts and parts[0] == "apis" and len(parts) >= 3:
            return self._resource_route(parts[1], parts[2], parts[3:])
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _openapi(self, path):
        """OpenAPI v2 (protobuf when asked, else JSON), the v3 index and the v3 document of one group version."""
        if self.command not in ("GET", "HEAD"):
            raise ApiError(405, "MethodNotAllowed", f"method {self.command} not allowed")
        accept = self.headers.get("Accept") or ""
        if path == "/openapi/v2":
            if openapi.V2_PROTOBUF in accept:
                # served as octet-stream like kube-openapi does (the "@" of the asked type is no valid media type)
                return self._send(200, openapi.v2_protobuf(), "application/octet-stream")
            return self._send(200, openapi.v2_json())
        if path == "/openapi/v3":
            return self._send(200, openapi.v3_index())
        body = openapi.v3_json(path[len("/openapi/v3/"):])
        if body is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if "application/json" not in accept and "*/*" not in accept and accept:
            raise ApiError(406, "NotAcceptable", f"only application/json is served for {path}")
        # The index carries the content hash, so a document fetched by it never changes (as on a real server).
        cache = "public, immutable" if self.query.get("hash") else "no-cache, private"
        return self._send(200, body, headers=[("Cache-Control", cache)])

    def _validate(self, res, obj, sub=None, apply=False):
        """Refuse what a real API server refuses: wrong types always; unknown fields under fieldValidation=Strict
        (a Warning header otherwise; the emulator keeps them where a real server would drop them)."""
        directive = self.query.get("fieldValidation") or "Warn"
        if directive not in FIELD_VALIDATION:
            raise ApiError(400, "BadRequest", f'fieldValidation must be one of "Ignore", "Strict", "Warn", got '
                           f'"{directive}"')
        if sub not in (None, "status", "scale"):
            return
        errors = openapi.schema_errors(res, obj, sub)
        types = [e for e in errors if e[0] == "type"]
        unknown = [e for e in errors if e[0] == "unknown"]
        gvk = f"{res.api_version}, Kind={res.kind}" if res.group else f"/{res.version}, Kind={res.kind}"
        if apply and (types or (unknown and directive == "Strict")):
            _, path, message, _ = (types or unknown)[0]
            raise ApiError(400, "BadRequest", f"failed to create typed patch object ({gvk}): {path}: {message}")
        prefix = f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
        if types:
            raise ApiError(400, "BadRequest", prefix + types[0][3])
        if unknown and directive == "Strict":
            raise ApiError(400, "BadRequest", prefix + "strict decoding error: " + ", ".join(e[3] for e in unknown))
        if unknown and directive == "Warn":
            self._warnings += [("Warning", '299 - "unknown field \\"%s\\""' % e[1][1:]) for e in unknown]

    def _group_list(self):
        groups = []
        for name, versions in resources.groups().items():
            gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
            groups.append({"name": name, "versions": gvs, "preferredVersion": gvs[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _resource_route(self, group, version, parts):
        if not parts:
            body = resources.resource_list(group, version)
            if body is None or self.command != "GET":
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, body)
        namespace = name = sub = None
        if parts[0] == "namespaces" and len(parts) >= 3 and not (group == "" and len(parts) == 3
                                                                  and parts[2] in ("status", "finalize")):
            namespace, plural, rest = parts[1], parts[2], parts[3:]
        else:
            plural, rest = parts[0], parts[1:]
        res = resources.lookup(group, version, plural)
        if res is None or len(rest) > 2:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if rest:
            name = rest[0]
        if len(rest) == 2:
            sub = rest[1]
            if sub not in res.subresources:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not res.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if name is not None and res.namespaced and namespace is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._resource(res, namespace, name, sub)

    # ------------------------------------------------------------ REST verbs
    def _resource(self, res, namespace, name, sub):
        store, q, method = self.server.store, self.query, self.command
        dry_run = "dryRun" in q
        if name is None:
            if method in ("GET", "HEAD"):
                labels = parse_label_selector(q.get("labelSelector", ""))
                fields = parse_field_selector(q.get("fieldSelector", ""))
                if _truthy(q.get("watch", "")):
                    return self._watch(res, namespace, labels, fields)
                items, rv = store.list(res, namespace, labels, fields)
                if tables.wants_table(self.headers.get("Accept")):
                    return self._send(200, tables.table(res, items, rv, q.get("includeObject") or "Metadata"))
                return self._send(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                                        "metadata": {"resourceVersion": rv}, "items": items})
            if method == "POST":
                obj = self._decode(self._read_body())
                if not isinstance(obj, dict):
                    raise ApiError(400, "BadRequest", "body must be an object")
                self._validate(res, obj)
                created = store.create(res, namespace if res.namespaced else None, obj, dry_run=dry_run)
                return self._send(201, created)
            if method == "DELETE":
                self._read_body()
                labels = parse_label_selector(q.get("labelSelector", ""))
                fields = parse_field_selector(q.get("fieldSelector", ""))
                items, _ = store.list(res, namespace, labels, fields)
                deleted = []
                for item in items:
                    meta = item["metadata"]
                    try:
                        deleted.append(store.delete(res, meta.get("namespace"), meta["name"], dry_run=dry_run))
                    except ApiError:
                        pass
                rv = str(store.rv)
                return self._send(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                                        "metadata": {"resourceVersion": rv}, "items": deleted})
            raise ApiError(405, "MethodNotAllowed", f"method {method} not allowed on a collection")

        if sub == "log":
            store.get(res, namespace, name)
            return self._send(200, f"sandbox: pod {name} has no real containers, so no logs\n".encode(),
                              "text/plain")
        if sub == "scale":
            return self._scale(res, namespace, name)
        if method in ("GET", "HEAD"):
            obj = store.get(res, namespace, name)
            if sub is None and tables.wants_table(self.headers.get("Accept")):
                return self._send(200, tables.table(res, [obj], obj["metadata"]["resourceVersion"],
                                                    q.get("includeObject") or "Metadata"))
            return self._send(200, obj)
        if method == "PUT":
            obj = self._decode(self._read_body())
            self._validate(res, obj, sub)
            return self._send(200, store.update(res, namespace, name, obj, subresource=sub, dry_run=dry_run))
        if method == "PATCH":
            return self._patch(res, namespace, name, sub, dry_run)
        if method == "DELETE":
            raw = self._read_body()
            propagation = q.get("propagationPolicy")
            if raw and not raw.startswith(protobuf.MAGIC):
                try:
                    propagation = propagation or (json.loads(raw) or {}).get("propagationPolicy")
                except ValueError:
                    pass
            obj = store.delete(res, namespace, name, propagation or "Background", dry_run=dry_run)
            if res.kind in DELETE_RETURNS_OBJECT:
                return self._send(200, obj)
            return self._send(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                    "details": {"name": name, "group": res.group, "kind": res.plural,
                                                "uid": obj["metadata"]["uid"]}})
        raise ApiError(405, "MethodNotAllowed", f"method {method} not allowed")

    def _apply_patch(self, kind, current, body):
        if kind == "merge":
            return patchlib.merge_patch(current, body)
        if kind == "json":
            return patchlib.json_patch(current, body)
        return patchlib.strategic_merge(current, body)

    def _patch(self, res, namespace, name, sub, dry_run):
        store = self.server.store
        ctype = self._content_type()
        if ctype not in PATCH_TYPES or PATCH_TYPES[ctype] is None:
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format; "
                           f"accepted media types include: {', '.join(k for k, v in PATCH_TYPES.items() if v)}")
        kind = PATCH_TYPES[ctype]
        body = self._decode(self._read_body(), allow_yaml=(kind == "apply"))
        if kind == "apply":
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "apply body must be an object")
            self._validate(res, body, sub, apply=True)
            manager = self.query.get("fieldManager")
            if not manager:
                raise ApiError(400, "BadRequest", "PATCH, application/apply-patch+yaml requires fieldManager")
            created, obj = store.apply(res, namespace, name, body, manager, force=_truthy(self.query.get("force", "")),
                                       subresource=sub, dry_run=dry_run)
            return self._send(201 if created else 200, obj)
        if kind != "json" and not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "patch body must be an object")

        def patched(current):
            new = self._apply_patch(kind, current, body)
            self._validate(res, new, sub)
            return new
        return self._send(200, store.mutate(res, namespace, name, patched, subresource=sub, dry_run=dry_run))

    def _scale(self, res, namespace, name):
        store, method = self.server.store, self.command

        def as_scale(obj):
            meta = obj["metadata"]
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                      "creationTimestamp") if k in meta},
                    "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
                    "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                               "selector": selector_string(obj.get("spec", {}).get("selector"))}}

        if method in ("GET", "HEAD"):
            return self._send(200, as_scale(store.get(res, namespace, name)))
        if method not in ("PUT", "PATCH"):
            raise ApiError(405, "MethodNotAllowed", f"method {method} not allowed on scale")
        with store.lock:
            current = as_scale(store.get(res, namespace, name))
            if method == "PUT":
                new = self._decode(self._read_body())
                rv = (new.get("metadata") or {}).get("resourceVersion")
                if rv and rv != current["metadata"]["resourceVersion"]:
                    raise conflict(res, name)
            else:
                ctype = self._content_type()
                kind = PATCH_TYPES.get(ctype)
                if kind is None:
                    raise ApiError(415, "UnsupportedMediaType", "unsupported patch type")
                body = self._decode(self._read_body(), allow_yaml=(kind == "apply"))
                new = self._apply_patch(kind, current, body)
            replicas = int((new.get("spec") or {}).get("replicas", 0))

            def set_replicas(obj):
                obj.setdefault("spec", {})["replicas"] = replicas
                return obj
            updated = store.mutate(res, namespace, name, set_replicas, dry_run="dryRun" in self.query)
            return self._send(200, as_scale(updated))

    # ------------------------------------------------------------ watch
    def _watch(self, res, namespace, labels, fields):
        store, q = self.server.store, self.query
        rv = q.get("resourceVersion", "")
        try:
            since = int(rv) if rv not in ("", "0") else None
        except ValueError:
            raise ApiError(400, "BadRequest", f"invalid resourceVersion {rv!r}")
        initial = _truthy(q.get("sendInitialEvents", ""))
        bookmarks = _truthy(q.get("allowWatchBookmarks", ""))
        timeout = float(q.get("timeoutSeconds") or 0) or None
        deadline = time.monotonic() + timeout if timeout else None
        self._watch_table = res if tables.wants_table(self.headers.get("Accept")) else None
        self._watch_table_sent = False
        watcher, events, start_rv = store.open_watch(res, namespace, labels, fields, since, initial)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for etype, obj in events:
                self._chunk({"type": etype, "object": obj})
            if initial and bookmarks:
                # WatchList protocol: tell the client the initial state is complete.
                self._chunk({"type": "BOOKMARK", "object": {
                    "kind": res.kind, "apiVersion": res.api_version,
                    "metadata": {"resourceVersion": start_rv,
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}})
            self.wfile.flush()
            while not self.server.stopping.is_set():
                wait = 0.25
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    wait = min(wait, remaining)
                for etype, obj in store.next_events(watcher, wait):
                    self._chunk({"type": etype, "object": obj})
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            store.close_watch(watcher)

    def _chunk(self, event):
        if self._watch_table is not None and event["type"] != "BOOKMARK":
            # `kubectl get -w`: every object as a one-row Table, the column definitions with the first only
            table = tables.table(self._watch_table, [event["object"]],
                                 event["object"]["metadata"].get("resourceVersion", ""),
                                 self.query.get("includeObject") or "Metadata")
            if self._watch_table_sent:
                table["columnDefinitions"] = []
            self._watch_table_sent = True
            event = {"type": event["type"], "object": table}
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    # ------------------------------------------------------------ admin
    def _admin(self, parts):
        store, controller, method = self.server.store, self.server.controller, self.command
        what = parts[0] if parts else ""
        if what == "healthz" and method == "GET":
            return self._send(200, {"status": "ok", "name": self.server.name, "resourceVersion": str(store.rv)})
        if what == "reset" and method == "POST":
            self._read_body()
            controller.reset()
            store.reset()
            return self._send(200, {"status": "ok"})
        if what == "rollout":
            if method == "GET":
                return self._send(200, {"rules": controller.rules()})
            if method == "POST":
                body = self._decode(self._read_body()) or {}
                if not body.get("name"):
                    raise ApiError(400, "BadRequest", "name is required")
                controller.set_rule(body.get("namespace") or "default", body["name"],
                                    "fail" if body.get("fail") else body.get("ready"))
                return self._send(200, {"rules": controller.rules()})
        raise not_found(resources.Resource("sandbox", "v1", "endpoints", "Admin", False), "/".join(parts))
