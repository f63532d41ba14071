"""AWS fault injection and the API call log, as a WSGI middleware in front of moto's app (daemon process).

Every request that reaches the moto server is identified (service and region from the SigV4 credential scope,
operation from the query protocol's `Action`, the JSON protocols' `X-Amz-Target`, an RPCv2 path, or else by matching
method and path against the service's URI templates in botocore's model), logged, and, when the fault settings
select it, answered with a throttling or 5xx error in the service's own protocol, dropped (connection reset)
before moto applies it (`reset`), or applied by moto and then dropped before the answer is sent (`reset-after`: the
client sees the same reset, but the change is made and its response lost). The log records a `reset-after` with its
own outcome and moto's status; it counts as applied (APPLIED_OUTCOMES). Calls from the sandbox itself (boto3 clients built by `sandbox.config.aws_client`, which
add the `cloudops-sandbox` user agent) pass through uncounted and unfaulted.

Whether the n-th call of a (service, operation) fails, and how, is a pure function of (seed, service, operation,
n): the same seed and the same call sequence give the same failures.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import io
import json
import re
import socket
import struct
import threading
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from sandbox.config import SANDBOX_USER_AGENT

KINDS = ("throttle", "5xx", "reset", "reset-after")
APPLIED_OUTCOMES = ("ok", "error", "reset-after")  # the call reached moto (the other outcomes were injected before it)
LOG_CAP = 100_000  # calls kept; older ones are dropped (a drill makes a few hundred)
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Check", "Lookup", "Search", "Validate", "Filter")
# SigV4 signing name -> boto3 client name, where they differ.
SIGNING_TO_CLIENT = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions", "elasticmapreduce": "emr"}
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)$")

# What the current request thread is handling: lets the timing model skip the sandbox's own calls.
CURRENT = threading.local()


def current_call_exempt() -> bool:
    """Whether the request being handled on this thread comes from the sandbox itself (or is not an AWS call)."""
    return getattr(CURRENT, "exempt", True)


def is_mutating(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


# -- request identification --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _service_model(client_name: str):
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model(client_name)
    except Exception:  # noqa: BLE001 - a service botocore does not know: no REST routing, no protocol
        return None


@functools.lru_cache(maxsize=None)
def _rest_routes(client_name: str) -> list[tuple[int, str, re.Pattern[str], tuple[str, ...], str]]:
    """(literal length, method, path regex, required query keys, operation) for each operation, most specific first."""
    model = _service_model(client_name)
    if model is None:
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http.get("requestUri", "/").partition("?")
        pattern, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                pattern += ".+" if part.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(part)
                literal += len(part)
        keys = tuple(k.split("=", 1)[0] for k in query.split("&") if k)
        routes.append((literal + len(keys), http.get("method", "POST"), re.compile(f"^{pattern}/?$"), keys, name))
    routes.sort(key=lambda r: -r[0])
    return routes


def _client_name(signing_name: str, form: dict[str, list[str]]) -> str:
    if signing_name == "elasticloadbalancing":  # one signing name, two APIs: the API version tells them apart
        return "elbv2" if form.get("Version", [""])[0] == "2015-12-01" else "elb"
    return SIGNING_TO_CLIENT.get(signing_name, signing_name)


def identify(environ: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """{service, region, operation, protocol, signing_name} of an AWS request, None for anything else."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return None
    region, signing_name = match.groups()
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") and body:
        form.update(parse_qs(body.decode("utf-8", "replace")))
    service = _client_name(signing_name, form)
    model = _service_model(service)
    protocol = model.protocol if model is not None else "query"
    target = environ.get("HTTP_X_AMZ_TARGET")
    rpc = _RPC_V2_PATH.match(environ.get("PATH_INFO", ""))
    if form.get("Action"):
        operation = form["Action"][0]
        protocol = "ec2" if protocol == "ec2" else "query"
    elif target:
        operation, protocol = target.rsplit(".", 1)[-1], "json"
    elif rpc and "cbor" in environ.get("HTTP_SMITHY_PROTOCOL", "") + environ.get("CONTENT_TYPE", ""):
        operation, protocol = rpc.group(1), "smithy-rpc-v2-cbor"
    else:
        operation = _rest_operation(service, environ)
        if protocol not in ("rest-xml", "rest-json"):
            protocol = "rest-json"
    return {"service": service, "region": region, "operation": operation, "protocol": protocol,
            "signing_name": signing_name}


def _rest_operation(service: str, environ: dict[str, Any]) -> str:
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    query_keys = set(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    for _, route_method, pattern, keys, name in _rest_routes(service):
        if route_method == method and pattern.match(path) and query_keys.issuperset(keys):
            return name
    return f"{method} {path}"  # not in the model: still counted, under its HTTP form


# -- error bodies in each protocol -------------------------------------------------------------------------------------
def _cbor_text(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    head = bytes([0x60 | n]) if n < 24 else bytes([0x78, n]) if n < 256 else bytes([0x79]) + struct.pack(">H", n)
    return head + data


def _cbor_map(values: dict[str, str]) -> bytes:
    out = bytes([0xA0 | len(values)])
    for key, value in values.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def error_response(protocol: str, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) that botocore's parser for `protocol` reads as error `code`."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", "application/x-amz-json-1.1")]
    elif protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    elif protocol == "smithy-rpc-v2-cbor":
        body = _cbor_map({"__type": code, "message": message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif protocol == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
        headers += [("Content-Type", "text/xml")]
    else:  # query and rest-xml
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers += [("Content-Type", "text/xml")]
    phrase = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    return f"{status} {phrase[status]}", headers + [("Content-Length", str(len(body)))], body


def throttle_error(protocol: str) -> tuple[int, str]:
    """The throttling answer each protocol's services give, with a code both botocore and AWSRetry retry."""
    if protocol == "ec2":
        return 503, "RequestLimitExceeded"  # EC2 answers 503 (botocore's legacy retry mode checks both)
    if protocol in ("query", "rest-xml"):
        return 400, "Throttling"
    return 429, "TooManyRequestsException"


# -- settings, decisions and the log -----------------------------------------------------------------------------------
def _unit(*parts: Any) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class FaultState:
    """Fault settings, per-(service, operation) call counters and the call log. Thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=LOG_CAP)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.settings = {"rate": 0.0, "kinds": ["throttle", "5xx"], "services": [], "operations": [],
                             "mutating_only": False, "latency_ms": 0, "seed": 0}
            self.counters: collections.Counter[tuple[str, str]] = collections.Counter()
            self.calls.clear()

    def configure(self, rate: float = 0.0, kinds: Iterable[str] = ("throttle", "5xx"), services: Iterable[str] = (),
                  operations: Iterable[str] = (), mutating_only: bool = False, latency_ms: float = 0,
                  seed: int = 0) -> dict[str, Any]:
        kinds = list(kinds or ())
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown} (choose from {list(KINDS)})")
        if not 0 <= float(rate) <= 1:
            raise ValueError("rate must be between 0 and 1")
        if float(latency_ms) < 0:
            raise ValueError("latency_ms must be >= 0")
        if float(rate) > 0 and not kinds:
            raise ValueError("give at least one fault kind")
        with self.lock:
            self.settings = {"rate": float(rate), "kinds": kinds, "services": list(services or ()),
                             "operations": list(operations or ()), "mutating_only": bool(mutating_only),
                             "latency_ms": float(latency_ms), "seed": int(seed)}
            self.counters.clear()  # "the n-th call" counts from the moment the settings are made
            return dict(self.settings)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.settings)

    def _selected(self, call: dict[str, Any], settings: dict[str, Any]) -> bool:
        services, operations = settings["services"], settings["operations"]
        if services and call["service"] not in services and call["signing_name"] not in services:
            return False
        if operations and call["operation"] not in operations:
            return False
        return not (settings["mutating_only"] and not call["mutating"])

    def decide(self, call: dict[str, Any]) -> tuple[str | None, float, float]:
        """(fault kind or None, latency seconds, a uniform draw for the kind's variant) for this call; advances its
        (service, operation) counter."""
        with self.lock:
            settings = self.settings
            if not self._selected(call, settings):
                return None, 0.0, 0.0
            key = (call["service"], call["operation"])
            n = self.counters[key]
            self.counters[key] += 1
        latency = settings["latency_ms"] / 1000.0
        seed = settings["seed"]
        if settings["rate"] <= 0 or _unit(seed, *key, n, "fail") >= settings["rate"]:
            return None, latency, 0.0
        kinds = settings["kinds"]
        return kinds[int(_unit(seed, *key, n, "kind") * len(kinds))], latency, _unit(seed, *key, n, "variant")

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append(entry)

    def log(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.calls)

    def clear_log(self) -> None:
        with self.lock:
            self.calls.clear()


STATE = FaultState()


# -- the middleware ----------------------------------------------------------------------------------------------------
def _reset_connection(environ: dict[str, Any]) -> None:
    """Abort the TCP connection (RST: linger 0, then close) so the client sees a reset, not an answer."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    handler = environ.get("cloudops.request_handler")
    if handler is not None:
        handler.close_connection = True  # no keep-alive read on the socket closed below
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The request handler's file objects still reference the socket, so close() alone would wait for them;
        # the real close sends the RST now (the handler's later writes then fail, and werkzeug drops the request).
        sock._real_close()
    except OSError:
        pass


class FaultMiddleware:
    def __init__(self, app: Callable[..., Any], state: FaultState = STATE):
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = b""
        length = environ.get("CONTENT_LENGTH")
        if length:
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
        call = identify(environ, body)
        if call is None or SANDBOX_USER_AGENT in environ.get("HTTP_USER_AGENT", ""):
            CURRENT.exempt = True
            try:
                return self.app(environ, start_response)
            finally:
                CURRENT.exempt = True
        call["mutating"] = is_mutating(call["operation"])
        entry = {"at": time.time(), "service": call["service"], "operation": call["operation"],
                 "region": call["region"], "mutating": call["mutating"]}
        kind, latency, variant = self.state.decide(call)
        if latency:
            time.sleep(latency)
        if kind == "reset":
            self.state.record({**entry, "outcome": "reset", "status": 0})
            _reset_connection(environ)
            raise ConnectionResetError("sandbox fault injection: connection reset")
        if kind in ("throttle", "5xx"):
            if kind == "throttle":
                status, code = throttle_error(call["protocol"])
                message = "Rate exceeded"
            else:
                status, code = ((500, "InternalFailure") if variant < 0.5
                                else (503, "ServiceUnavailable"))
                message = "sandbox fault injection: service error"
            status_line, headers, error_body = error_response(call["protocol"], status, code, message)
            self.state.record({**entry, "outcome": kind, "status": status})
            start_response(status_line, headers)
            return [error_body]

        seen: dict[str, int] = {}

        def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status_line.split(" ", 1)[0])
            if kind == "reset-after":  # nothing reaches the client: the connection is aborted below
                return lambda data: None
            return start_response(status_line, headers, exc_info) if exc_info else start_response(status_line, headers)

        CURRENT.exempt = False
        try:
            result = self.app(environ, capture)
            if kind == "reset-after":
                body = b"".join(result)  # the whole answer is made (moto applied the call), then lost
                if hasattr(result, "close"):
                    result.close()
        finally:
            CURRENT.exempt = True
            status = seen.get("status", 500)
            outcome = "reset-after" if kind == "reset-after" else "ok" if status < 400 else "error"
            self.state.record({**entry, "outcome": outcome, "status": status})
        if kind == "reset-after":
            del body
            _reset_connection(environ)
            raise ConnectionResetError("sandbox fault injection: connection reset after the call was applied")
        return result


def install_server():
    """moto's ThreadedMotoServer with this middleware around its app."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class RequestHandler(MotoRequestHandler):
        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            environ["cloudops.request_handler"] = self  # lets a reset end the connection's keep-alive loop
            return environ

    class FaultingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = FaultMiddleware(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=RequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return FaultingMotoServer
