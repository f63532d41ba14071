"""Patch algorithms: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes strategic merge patch.

The strategic merge patch is schema-less: list merge keys are chosen by field name (the way the built-in types
declare them), which covers the common workload fields. Server-side apply reuses the strategic merge, then
removes the fields its manager no longer applies (ownership.py).
"""
import copy


class PatchError(Exception):
    """Raised for malformed patches; the server turns it into a 422/400 Status."""


# ---------------------------------------------------------------- JSON merge patch
def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---------------------------------------------------------------- JSON patch
def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def _split(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [_unescape(t) for t in path[1:].split("/")]


def _resolve_parent(doc, tokens, path):
    node = doc
    for t in tokens[:-1]:
        if isinstance(node, list):
            try:
                node = node[int(t)]
            except (ValueError, IndexError):
                raise PatchError(f"path {path!r} not found")
        elif isinstance(node, dict) and t in node:
            node = node[t]
        else:
            raise PatchError(f"path {path!r} not found")
    return node


def _get(doc, path):
    tokens = _split(path)
    if not tokens:
        return doc
    parent = _resolve_parent(doc, tokens, path)
    last = tokens[-1]
    try:
        return parent[int(last)] if isinstance(parent, list) else parent[last]
    except (KeyError, ValueError, IndexError, TypeError):
        raise PatchError(f"path {path!r} not found")


def _add(doc, path, value):
    tokens = _split(path)
    if not tokens:
        return value
    parent = _resolve_parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            try:
                idx = int(last)
            except ValueError:
                raise PatchError(f"invalid index in {path!r}")
            if idx < 0 or idx > len(parent):
                raise PatchError(f"index out of range in {path!r}")
            parent.insert(idx, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError(f"path {path!r} not found")
    return doc


def _remove(doc, path):
    tokens = _split(path)
    if not tokens:
        raise PatchError("cannot remove the document root")
    parent = _resolve_parent(doc, tokens, path)
    last = tokens[-1]
    try:
        if isinstance(parent, list):
            return parent.pop(int(last))
        return parent.pop(last)
    except (KeyError, ValueError, IndexError, AttributeError):
        raise PatchError(f"path {path!r} not found")


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)  # must exist
            if _split(path):
                _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "move":
            value = _remove(doc, op["from"])
            doc = _add(doc, path, value)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"test operation failed at {path!r}")
        else:
            raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc


# ---------------------------------------------------------------- strategic merge patch
# patchMergeKey of the built-in list fields (by field name; "ports" is resolved per element type below).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "conditions": "type", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid", "resourceClaims": "name", "readinessGates": "conditionType",
    "secrets": "name", "envFrom": None,
}
# Lists of scalars that Kubernetes merges (patchStrategy=merge) instead of replacing.
PRIMITIVE_MERGE = {"finalizers"}


def _merge_key(field, items):
    if field == "ports":
        for item in items:
            if isinstance(item, dict):
                if "containerPort" in item:
                    return "containerPort"
                if "port" in item:
                    return "port"
        return "port"
    return MERGE_KEYS.get(field)


def strategic_merge(original, patch):
    """Apply a strategic merge patch (dict) to original (dict); returns a new object."""
    return _smp_dict(copy.deepcopy(original) if isinstance(original, dict) else {}, patch)


def _strip_directives(value):
    """Remove $-directives from values that are inserted rather than merged."""
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items()
                if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return value


def _smp_dict(orig, patch):
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be an object")
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip_directives(patch)
    if directive == "delete":
        return None
    retain = patch.get("$retainKeys")
    orders = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(orig.get(field), list):
                orig[field] = [v for v in orig[field] if v not in (value or [])]
            continue
        if key.startswith("$"):
            continue
        if value is None:
            orig.pop(key, None)
        elif isinstance(value, dict):
            current = orig.get(key)
            merged = _smp_dict(current if isinstance(current, dict) else {}, value)
            if merged is None:
                orig.pop(key, None)
            else:
                orig[key] = merged
        elif isinstance(value, list):
            orig[key] = _smp_list(orig.get(key), value, key)
        else:
            orig[key] = value
    for field, order in orders.items():
        if isinstance(orig.get(field), list):
            orig[field] = _reorder(orig[field], order, field)
    if isinstance(retain, list):
        for key in list(orig):
            if key not in retain:
                del orig[key]
    return orig


def _smp_list(orig, patch, field):
    orig = orig if isinstance(orig, list) else []
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [_strip_directives(p) for p in patch if not (isinstance(p, dict) and p.get("$patch") == "replace")]
    key = _merge_key(field, patch + orig)
    if key is None or not all(isinstance(p, dict) for p in patch):
        if field in PRIMITIVE_MERGE:
            return orig + [p for p in patch if p not in orig]
        return _strip_directives(patch)  # atomic list: replace whole
    result = list(orig)
    for item in patch:
        if item.get("$patch") == "delete":
            result = [o for o in result if not (isinstance(o, dict) and o.get(key) == item.get(key))]
            continue
        for i, existing in enumerate(result):
            if isinstance(existing, dict) and key in item and existing.get(key) == item[key]:
                merged = _smp_dict(existing, item)
                result[i] = merged
                break
        else:
            result.append(_strip_directives(item))
    return [r for r in result if r is not None]


def _reorder(items, order, field):
    """Honour $setElementOrder: listed elements first in the given order, the rest after, stable."""
    if not order:
        return items
    if all(not isinstance(o, dict) for o in order):
        rank = {v: i for i, v in enumerate(order) if not isinstance(v, (dict, list))}
        return sorted(items, key=lambda v: rank.get(v, len(rank)) if not isinstance(v, (dict, list)) else len(rank))
    key = _merge_key(field, order + items)
    if key is None:
        return items
    rank = {o.get(key): i for i, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda v: rank.get(v.get(key), len(rank)) if isinstance(v, dict) else len(rank))
