"""OpenAPI documents of the emulated API and the server-side schema validation that goes with them.

The schemas are not written here: they come from the JSON schema definitions that the `kubernetes-validate` package
ships for each Kubernetes release (generated from the API server's own OpenAPI document). They are turned back into
OpenAPI form (nullable types folded, `$ref`s re-pointed, int-or-string restored) and served as:

  GET /openapi/v2                          Swagger 2.0, as JSON, or as the gnostic protobuf that client-go asks for
                                           (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf)
  GET /openapi/v3                          the index of group versions ({"paths": {"apis/apps/v1": {...}}})
  GET /openapi/v3/<api/v1|apis/G/V>        OpenAPI 3.0 of one group version (the kinds the emulator serves)

Paths are generated for the resources the emulator serves (resources.py), with the query parameters that clients
probe for (`fieldValidation`, `dryRun`, `fieldManager`, `force`) and the `x-kubernetes-group-version-kind`
extension on each operation: helm v4 and kubectl use that to decide that the server validates fields, then send
`fieldValidation=Strict`, and validate() below refuses what a real API server refuses (wrong types, unknown fields
under Strict). This module imports nothing from the server (pure functions over the definitions, cached).
"""
import copy
import functools
import hashlib
import json
import struct
from importlib import resources as importlib_resources

import yaml

from . import resources
from .protobuf import enc_varint

KUBERNETES_VERSION = "v1.34.0"  # the definitions served (kubectl v1.34 / helm v4 are what the sandbox installs)
SCHEMA_PACKAGE = "kubernetes_validate"
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
V3_PROTOBUF = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
_DEF_PREFIX = "#/$defs/"
PATCH_CONTENT_TYPES = ["application/json-patch+json", "application/merge-patch+json",
                       "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
# Definitions every group version document carries (responses of delete, watch, list metadata).
_COMMON = ["io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
           "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent", "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
           "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"]


class SchemaSourceMissing(RuntimeError):
    """kubernetes-validate (requirements-dev.txt) is not installed, or lacks the pinned Kubernetes version."""


# ---------------------------------------------------------------- definitions (JSON schema -> OpenAPI)
@functools.lru_cache(maxsize=1)
def _raw_definitions():
    path = f"kubernetes-json-schema/{KUBERNETES_VERSION}-local/_definitions.json"
    try:
        text = importlib_resources.files(SCHEMA_PACKAGE).joinpath(path).read_text()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise SchemaSourceMissing(f"the emulator's OpenAPI comes from the Python package kubernetes-validate "
                                  f"({path}): {exc}; install requirements-dev.txt") from exc
    return json.loads(text)["$defs"]


def _convert(node, ref_prefix, under_properties=False):
    """One JSON schema (2020-12, as kubernetes-validate writes it) back to OpenAPI form."""
    if isinstance(node, list):
        return [_convert(item, ref_prefix) for item in node]
    if not isinstance(node, dict):
        return node
    if under_properties:  # a {name: schema} map: every value is a schema
        return {key: _convert(value, ref_prefix) for key, value in node.items()}
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_DEF_PREFIX):
            out[key] = ref_prefix + value[len(_DEF_PREFIX):]
        elif key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            if len(kinds) == 1:
                out[key] = kinds[0]
            elif kinds:
                out[key] = kinds
        elif key == "oneOf" and all(isinstance(s, dict) and set(s) == {"type"} for s in value):
            kinds = {t for s in value for t in (s["type"] if isinstance(s["type"], list) else [s["type"]])}
            out["type"] = "string"  # IntOrString and Quantity: strings on the wire, as the real document says
            if "integer" in kinds:
                out["format"] = "int-or-string"
                out["x-kubernetes-int-or-string"] = True
        elif key == "enum" and isinstance(value, list):
            values = [v for v in value if v is not None]
            if values:
                out[key] = values
        elif key in ("properties", "patternProperties"):
            out[key] = _convert(value, ref_prefix, under_properties=True)
        else:
            out[key] = _convert(value, ref_prefix)
    props = out.get("properties")
    if isinstance(props, dict) and out.get("x-kubernetes-group-version-kind"):
        # kubernetes-validate pins apiVersion/kind with enums; the API server's document does not.
        for field in ("apiVersion", "kind"):
            if isinstance(props.get(field), dict):
                props[field].pop("enum", None)
    return out


@functools.lru_cache(maxsize=1)
def definitions():
    """{definition name: OpenAPI v2 schema} (refs as #/definitions/NAME)."""
    return {name: _convert(schema, "#/definitions/") for name, schema in _raw_definitions().items()}


@functools.lru_cache(maxsize=1)
def _by_gvk():
    out = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            out[(gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))] = name
    return out


def definition_name(group, version, kind):
    """The definition of a kind (e.g. io.k8s.api.apps.v1.Deployment), or None."""
    return _by_gvk().get((group, version, kind))


def _refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref[len("#/definitions/"):])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(names):
    defs, seen, todo = definitions(), set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        found = set()
        _refs(defs[name], found)
        todo.extend(found - seen)
    return seen


# ---------------------------------------------------------------- paths of the served resources
def _gv_path(res):
    return f"/api/{res.version}" if not res.group else f"/apis/{res.group}/{res.version}"


def _op_name(res):
    group = "".join(p.capitalize() for p in res.group.split(".")[0:1]) if res.group else "Core"
    return group + res.version.capitalize()


def _operations(res, ref):
    """[(path, method, action, group-version-kind, response definition)] of one resource."""
    base = _gv_path(res)
    coll = f"{base}/namespaces/{{namespace}}/{res.plural}" if res.namespaced else f"{base}/{res.plural}"
    item = coll + "/{name}"
    gvk = {"group": res.group, "version": res.version, "kind": res.kind}
    list_ref = definition_name(res.group, res.version, res.kind + "List")
    ops = [(coll, "get", "list", gvk, list_ref), (coll, "post", "post", gvk, ref),
           (item, "get", "get", gvk, ref), (item, "put", "put", gvk, ref), (item, "patch", "patch", gvk, ref),
           (item, "delete", "delete", gvk, "io.k8s.apimachinery.pkg.apis.meta.v1.Status")]
    if res.plural != "namespaces":
        ops.append((coll, "delete", "deletecollection", gvk, "io.k8s.apimachinery.pkg.apis.meta.v1.Status"))
    if res.namespaced:
        ops.append((f"{base}/{res.plural}", "get", "list", gvk, list_ref))
    for sub in res.subresources:
        if sub == "scale":
            scale = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
            sref = "io.k8s.api.autoscaling.v1.Scale"
            ops += [(f"{item}/scale", m, m, scale, sref) for m in ("get", "put", "patch")]
        elif sub == "status":
            ops += [(f"{item}/status", m, m, gvk, ref) for m in ("get", "put", "patch")]
    return ops


def _parameters(path, method, action):
    params = [{"name": n, "in": "path", "required": True, "type": "string", "uniqueItems": True}
              for n in ("name", "namespace") if "{" + n + "}" in path]
    query = ["pretty"]
    if action in ("post", "put", "patch"):
        query += ["dryRun", "fieldManager", "fieldValidation"]
    if action == "patch":
        query.append("force")
    if action == "list":
        query += ["labelSelector", "fieldSelector", "resourceVersion", "watch", "timeoutSeconds", "limit",
                  "continue", "allowWatchBookmarks", "sendInitialEvents"]
    if action in ("delete", "deletecollection"):
        query += ["dryRun", "gracePeriodSeconds", "propagationPolicy"]
    types = {"watch": "boolean", "force": "boolean", "allowWatchBookmarks": "boolean",
             "sendInitialEvents": "boolean", "timeoutSeconds": "integer", "limit": "integer",
             "gracePeriodSeconds": "integer"}
    params += [{"name": n, "in": "query", "type": types.get(n, "string"), "uniqueItems": True} for n in query]
    return params


def _served():
    """[(resource, definition name)] for the served resources whose kind has a definition."""
    out = []
    for res in resources.RESOURCES:
        name = definition_name(res.group, res.version, res.kind)
        if name:
            out.append((res, name))
    return out


def _v2_paths():
    paths = {}
    for res, ref in _served():
        for path, method, action, gvk, resp in _operations(res, ref):
            op = {"operationId": f"{action}{_op_name(res)}{res.kind}{path.count('/')}{method}",
                  "consumes": PATCH_CONTENT_TYPES if method == "patch" else ["*/*"],
                  "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                  "schemes": ["https"], "tags": [_op_name(res)],
                  "parameters": _parameters(path, method, action),
                  "responses": {"200": {"description": "OK", **({"schema": {"$ref": "#/definitions/" + resp}}
                                                                if resp else {})},
                                "401": {"description": "Unauthorized"}},
                  "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}
            if method in ("post", "put", "patch"):
                body_ref = ("io.k8s.apimachinery.pkg.apis.meta.v1.Patch" if method == "patch" else resp)
                op["parameters"].insert(0, {"name": "body", "in": "body", "required": True,
                                            "schema": {"$ref": "#/definitions/" + body_ref}})
            paths.setdefault(path, {})[method] = op
    return paths


# ---------------------------------------------------------------- v2 document (JSON and protobuf)
@functools.lru_cache(maxsize=1)
def v2_document():
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": _v2_paths(), "definitions": definitions(),
            "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
            "security": [{"BearerToken": []}]}


@functools.lru_cache(maxsize=1)
def v2_json():
    return json.dumps(v2_document(), separators=(",", ":")).encode()


@functools.lru_cache(maxsize=1)
def v2_protobuf():
    return _pb_document(v2_document())


# ---------------------------------------------------------------- v3 documents
def _v3_schema(node):
    """v2 schema -> v3: refs to components; a $ref with siblings wrapped in allOf, as the API server does."""
    if isinstance(node, list):
        return [_v3_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/definitions/", "#/components/schemas/")
        elif key in ("properties", "patternProperties"):
            out[key] = {k: _v3_schema(v) for k, v in value.items()}
        else:
            out[key] = _v3_schema(value)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}]
        out.setdefault("default", {})
    return out


def _v3_parameter(param):
    if param["in"] == "body":
        return None
    schema = {"type": param.get("type", "string")}
    out = {"name": param["name"], "in": param["in"], "schema": schema}
    if param.get("required"):
        out["required"] = True
    return out


def group_versions():
    """{"api/v1": [resources], "apis/apps/v1": [...]} of the served group versions."""
    out = {}
    for res in resources.RESOURCES:
        out.setdefault(_gv_path(res).lstrip("/"), []).append(res)
    return out


@functools.lru_cache(maxsize=None)
def v3_document(gv_path):
    """The OpenAPI 3.0 document of one served group version ("api/v1", "apis/apps/v1"), or None."""
    served = group_versions().get(gv_path)
    if served is None:
        return None
    paths, roots = {}, set(_COMMON)
    for res, ref in _served():
        if res not in served:
            continue
        for path, method, action, gvk, resp in _operations(res, ref):
            roots.update(r for r in (ref, resp) if r)
            params = [p for p in (_v3_parameter(p) for p in _parameters(path, method, action)) if p]
            op = {"operationId": f"{action}{_op_name(res)}{res.kind}{path.count('/')}{method}",
                  "tags": [_op_name(res)], "parameters": params,
                  "responses": {"200": {"description": "OK", "content": {
                      "application/json": {"schema": {"$ref": "#/components/schemas/" + resp}}} if resp else {}},
                      "401": {"description": "Unauthorized"}},
                  "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}
            if method in ("post", "put"):
                op["requestBody"] = {"content": {"*/*": {"schema": {"$ref": "#/components/schemas/" + resp}}},
                                     "required": True}
            elif method == "patch":
                patch_ref = {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}
                op["requestBody"] = {"content": {t: {"schema": patch_ref} for t in PATCH_CONTENT_TYPES},
                                     "required": True}
            paths.setdefault(path, {})[method] = op
    defs = definitions()
    schemas = {name: _v3_schema(defs[name]) for name in sorted(_closure(roots))}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": paths, "components": {"schemas": schemas,
                                           "securitySchemes": {"BearerToken": {"type": "apiKey", "name":
                                                                               "authorization", "in": "header"}}},
            "security": [{"BearerToken": []}]}


@functools.lru_cache(maxsize=None)
def v3_json(gv_path):
    doc = v3_document(gv_path)
    return None if doc is None else json.dumps(doc, separators=(",", ":")).encode()


@functools.lru_cache(maxsize=1)
def v3_index():
    """GET /openapi/v3: each group version with a content-hash URL (clients cache by it)."""
    paths = {}
    for gv_path in group_versions():
        digest = hashlib.sha512(v3_json(gv_path)).hexdigest()[:128].upper()
        paths[gv_path] = {"serverRelativeURL": f"/openapi/v3/{gv_path}?hash={digest}"}
    return {"paths": paths}


def warm():
    """Build the cached documents and the validation schemas (~1 s; start_emulator runs it in the background)."""
    try:
        _validation_defs()
        v3_index()
    except SchemaSourceMissing:
        pass  # reported by the first request that needs them


# ---------------------------------------------------------------- server-side validation
def _type_name(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _resolve(schema, defs, owner):
    """(schema with its $ref followed, the Go struct it belongs to: the last definition followed)."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 50:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = defs.get(name, {})
        owner = name
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}} if len(schema) > 1 else target
        seen += 1
    return schema, owner


def _go_type(schema, defs):
    """The Go type a JSON decoder would name for a field (for the error texts of non-apply writes)."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if ref:
        name = ref.rsplit("/", 1)[-1]
        target = defs.get(name, {})
        if target.get("type") not in (None, "object") or target.get("_quantity"):
            return _go_type(target, defs) if not target.get("_quantity") else "resource.Quantity"
        return ".".join(name.rsplit(".", 2)[-2:])
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
        return "intstr.IntOrString"
    if kind == "integer":
        return fmt if fmt in ("int32", "int64") else "int"
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "bool"
    if kind == "string":
        return "string"
    if kind == "array":
        return "[]" + _go_type(schema.get("items") or {}, defs)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "map[string]" + _go_type(schema["additionalProperties"], defs)
    return "interface {}"


def _walk(value, schema, path, defs, errors, owner="", field=""):
    """Collect (kind, path, message, decoder message) for value against schema; kind "type" or "unknown"."""
    if value is None:
        return  # null is "unset" for every field of the built-in types
    declared = schema
    schema, owner_here = _resolve(schema, defs, owner)
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    kind, fmt = schema.get("type"), schema.get("format")
    here = path or "."

    def wrong(expected):
        got = _type_name(value)
        decoder = (f"json: cannot unmarshal {got} into Go struct field {owner.rsplit('.', 1)[-1]}.{field} of type "
                   f"{_go_type(declared, defs)}" if owner else f"json: cannot unmarshal {got} into Go value")
        errors.append(("type", here, f"expected {expected}, got {got}", decoder))

    if kind == "object" or (kind is None and "properties" in schema):
        if not isinstance(value, dict):
            return wrong("map")
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child, child_field = f"{path}.{key}", f"{field}.{key}" if field else key
            if props is not None and key in props:
                _walk(item, props[key], child, defs, errors, owner_here, child_field)
            elif isinstance(extra, dict):
                _walk(item, extra, child, defs, errors, owner_here, child_field)
            elif props is not None and extra is not True:
                errors.append(("unknown", child, "field not declared in schema", f'unknown field "{child[1:]}"'))
    elif kind == "array":
        if not isinstance(value, list):
            return wrong("list")
        for i, item in enumerate(value):
            _walk(item, schema.get("items") or {}, f"{path}[{i}]", defs, errors, owner_here, field)
    elif kind == "string":
        if fmt == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
            ok = isinstance(value, (str, int)) and not isinstance(value, bool)
        else:  # a Quantity is a string on the wire that also accepts a plain number (`cpu: 1`)
            ok = isinstance(value, str) or (schema.get("_quantity") and isinstance(value, (int, float))
                                            and not isinstance(value, bool))
        if not ok:
            wrong("string")
    elif kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind == "integer" and isinstance(value, float) and not value.is_integer()):
            wrong("numeric (int or float)")
    elif kind == "boolean":
        if not isinstance(value, bool):
            wrong("boolean")


@functools.lru_cache(maxsize=1)
def _validation_defs():
    defs = copy.deepcopy(definitions())
    quantity = defs.get("io.k8s.apimachinery.pkg.api.resource.Quantity")
    if quantity is not None:
        quantity["_quantity"] = True
    return defs


def schema_errors(res, obj, subresource=None):
    """[(kind, path, message, decoder message)] of obj against the schema of res's kind (kind "type" or "unknown").

    message is what server-side apply says (structured-merge-diff: `.spec.replicas: expected numeric (int or float),
    got string`), decoder message what the JSON decoder of a create/update/patch says (`json: cannot unmarshal ...`).
    subresource "scale" objects are Scale (autoscaling/v1); other subresources validate as the main kind.
    """
    group, version, kind = res.group, res.version, res.kind
    if subresource == "scale":
        group, version, kind = "autoscaling", "v1", "Scale"
    try:
        name = definition_name(group, version, kind)
    except SchemaSourceMissing:
        return []  # no schemas, no validation (the OpenAPI endpoints say why)
    if name is None or not isinstance(obj, dict):
        return []
    defs = _validation_defs()
    errors = []
    _walk(obj, {"$ref": "#/definitions/" + name}, "", defs, errors)
    return errors


# ---------------------------------------------------------------- gnostic protobuf (openapi_v2.Document)
def _ld(num, payload):
    """A length-delimited field (string, bytes or sub-message)."""
    if isinstance(payload, str):
        payload = payload.encode()
    return enc_varint((num << 3) | 2) + enc_varint(len(payload)) + payload


def _bool(num, value):
    return enc_varint(num << 3) + enc_varint(1) if value else b""


def _int64(num, value):
    return enc_varint(num << 3) + enc_varint(int(value) & 0xFFFFFFFFFFFFFFFF)


def _double(num, value):
    return enc_varint((num << 3) | 1) + struct.pack("<d", float(value))


def _pb_any(value):
    """openapi_v2.Any{yaml}: gnostic keeps free-form values as YAML text."""
    return _ld(2, yaml.safe_dump(value, default_flow_style=True, width=1 << 20).strip())


def _pb_named_any(name, value):
    return _ld(1, name) + _ld(2, _pb_any(value))


def _pb_schema(schema):
    if not isinstance(schema, dict):
        return b""
    out = b""
    if "$ref" in schema:
        out += _ld(1, schema["$ref"])
    for num, key in ((2, "format"), (3, "title"), (4, "description")):
        if isinstance(schema.get(key), str):
            out += _ld(num, schema[key])
    if "default" in schema:
        out += _ld(5, _pb_any(schema["default"]))
    for num, key in ((7, "maximum"), (9, "minimum")):
        if isinstance(schema.get(key), (int, float)) and not isinstance(schema[key], bool):
            out += _double(num, schema[key])
    for num, key in ((11, "maxLength"), (12, "minLength"), (14, "maxItems"), (15, "minItems"),
                     (17, "maxProperties"), (18, "minProperties")):
        if isinstance(schema.get(key), int) and not isinstance(schema[key], bool):
            out += _int64(num, schema[key])
    if isinstance(schema.get("pattern"), str):
        out += _ld(13, schema["pattern"])
    out += _bool(16, schema.get("uniqueItems"))
    for item in schema.get("required") or []:
        out += _ld(19, item)
    for item in schema.get("enum") or []:
        out += _ld(20, _pb_any(item))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        out += _ld(21, _ld(1, _pb_schema(extra)))
    elif isinstance(extra, bool):
        out += _ld(21, enc_varint((2 << 3)) + enc_varint(int(extra)))
    kind = schema.get("type")
    if kind:
        out += _ld(22, b"".join(_ld(1, k) for k in ([kind] if isinstance(kind, str) else kind)))
    if isinstance(schema.get("items"), dict):
        out += _ld(23, _ld(1, _pb_schema(schema["items"])))
    for sub in schema.get("allOf") or []:
        out += _ld(24, _pb_schema(sub))
    if isinstance(schema.get("properties"), dict):
        out += _ld(25, b"".join(_ld(1, _ld(1, k) + _ld(2, _pb_schema(v))) for k, v in schema["properties"].items()))
    out += _bool(27, schema.get("readOnly"))
    for key, value in schema.items():
        if key.startswith("x-"):
            out += _ld(31, _pb_named_any(key, value))
    return out


def _pb_parameter(param):
    """openapi_v2.ParametersItem of one parameter."""
    if param["in"] == "body":
        body = _ld(2, param["name"]) + _ld(3, "body") + _bool(4, param.get("required"))
        body += _ld(5, _pb_schema(param.get("schema") or {}))
        return _ld(1, _ld(1, body))  # .parameter -> Parameter.body_parameter
    sub = {"query": (3, None), "path": (4, None)}.get(param["in"])
    if sub is None:
        return b""
    if param["in"] == "query":  # QueryParameterSubSchema: required=1 in=2 description=3 name=4 ... type=6
        msg = _bool(1, param.get("required")) + _ld(2, "query") + _ld(4, param["name"]) + _ld(6, param["type"])
        msg += _bool(20, param.get("uniqueItems"))
    else:  # PathParameterSubSchema: required=1 in=2 description=3 name=4 type=5
        msg = _bool(1, True) + _ld(2, "path") + _ld(4, param["name"]) + _ld(5, param["type"])
        msg += _bool(19, param.get("uniqueItems"))
    non_body = _ld(sub[0], msg)
    return _ld(1, _ld(2, non_body))  # .parameter -> Parameter.non_body_parameter


def _pb_operation(op):
    out = b"".join(_ld(1, t) for t in op.get("tags") or [])
    out += _ld(5, op["operationId"])
    out += b"".join(_ld(6, t) for t in op.get("produces") or [])
    out += b"".join(_ld(7, t) for t in op.get("consumes") or [])
    out += b"".join(_ld(8, _pb_parameter(p)) for p in op.get("parameters") or [])
    responses = b""
    for code, resp in (op.get("responses") or {}).items():
        msg = _ld(1, resp.get("description", ""))
        if resp.get("schema"):
            msg += _ld(2, _ld(1, _pb_schema(resp["schema"])))
        responses += _ld(1, _ld(1, code) + _ld(2, _ld(1, msg)))
    out += _ld(9, responses)
    out += b"".join(_ld(10, s) for s in op.get("schemes") or [])
    for key, value in op.items():
        if key.startswith("x-"):
            out += _ld(13, _pb_named_any(key, value))
    return out


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _pb_document(doc):
    info = _ld(1, doc["info"]["title"]) + _ld(2, doc["info"]["version"])
    paths = b""
    for path, item in doc["paths"].items():
        body = b"".join(_ld(_METHODS[m], _pb_operation(op)) for m, op in item.items())
        paths += _ld(2, _ld(1, path) + _ld(2, body))
    defs = b"".join(_ld(1, _ld(1, name) + _ld(2, _pb_schema(schema)))
                    for name, schema in doc["definitions"].items())
    return _ld(1, doc["swagger"]) + _ld(2, info) + _ld(8, paths) + _ld(9, defs)
