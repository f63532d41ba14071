"""Server-side apply field ownership (a minimal model of structured-merge-diff).

Each object remembers, in metadata.managedFields (operation Apply, fieldsType FieldsV1), the set of field paths
that every apply field manager last applied. A path is a tuple of fieldsV1 tokens:
  "f:<name>"         a map key,
  "k:{"name":"x"}"   an element of a list with a merge key (containers, env, ports, volumes ... as patch.py knows
                     them); the element itself is owned and so are its fields,
  "v:<json>"         a value of a set-like primitive list (finalizers).
Other lists are atomic: owned as a whole leaf.

Only apply managers are tracked. Updates through PUT / merge / JSON / strategic merge patch are not recorded as
"Update" entries and take no ownership away from apply managers: their changes simply stay until an apply
manager that owns the field applies again without it.
"""
import json

from . import patch as patchlib

# Identity and server-owned fields that are never tracked.
_UNTRACKED_META = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
                   "managedFields", "selfLink", "deletionTimestamp", "generateName"}


def _key_token(key, value):
    return "k:" + json.dumps({key: value}, separators=(",", ":"), sort_keys=True)


def field_set(body, kind=None, subresource=None):
    """Paths applied by an apply body, plus {leaf path: value} for conflict detection."""
    paths, leaves = set(), {}
    top = {}
    for key, value in (body or {}).items():
        if key in ("apiVersion", "kind") or key.startswith("$"):
            continue
        if subresource == "status" and key != "status":
            continue
        if subresource is None and key == "status":
            continue  # status is not writable through the main resource
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _UNTRACKED_META}
            if not value:
                continue
        if kind == "Secret" and key == "stringData":
            key = "data"  # stringData is folded into data on write
            value = {**(top.get("data") or {}), **(value or {})} if isinstance(value, dict) else value
        top[key] = value
    _walk(top, (), paths, leaves)
    return paths, leaves


def _walk(node, prefix, paths, leaves):
    for key, value in node.items():
        if key.startswith("$") or value is None:
            continue
        path = prefix + ("f:" + key,)
        if isinstance(value, dict):
            if value:
                _walk(value, path, paths, leaves)
            else:
                paths.add(path)
                leaves[path] = value
        elif isinstance(value, list):
            mkey = patchlib._merge_key(key, value)
            if value and mkey and all(isinstance(v, dict) and mkey in v for v in value):
                for item in value:
                    ipath = path + (_key_token(mkey, item[mkey]),)
                    paths.add(ipath)
                    _walk(item, ipath, paths, leaves)
            elif value and key in patchlib.PRIMITIVE_MERGE and all(not isinstance(v, (dict, list)) for v in value):
                for item in value:
                    paths.add(path + ("v:" + json.dumps(item, separators=(",", ":")),))
            else:
                paths.add(path)
                leaves[path] = value
        else:
            paths.add(path)
            leaves[path] = value


# ---------------------------------------------------------------- fieldsV1 <-> path sets
def to_fields_v1(paths):
    root, owned = {}, set()
    for path in paths:
        node = root
        for token in path:
            node = node.setdefault(token, {})
        owned.add(id(node))

    def mark(node):
        for child in node.values():
            mark(child)
        if node and id(node) in owned:
            node["."] = {}
    mark(root)
    return root


def from_fields_v1(fields, prefix=()):
    paths = set()
    for token, child in (fields or {}).items():
        if token == ".":
            if prefix:
                paths.add(prefix)
            continue
        path = prefix + (token,)
        if child:
            paths |= from_fields_v1(child, path)
        else:
            paths.add(path)
    return paths


def apply_entries(meta):
    """{(manager, subresource): entry} of the Apply entries in metadata.managedFields."""
    out = {}
    for entry in meta.get("managedFields") or []:
        if isinstance(entry, dict) and entry.get("operation") == "Apply" and entry.get("manager"):
            out[(entry["manager"], entry.get("subresource", ""))] = entry
    return out


def entry_paths(entry):
    return from_fields_v1(entry.get("fieldsV1"))


# ---------------------------------------------------------------- navigation / removal
def _step(node, token):
    """Return (container, locator) for token inside node, or (None, None) if absent."""
    kind, arg = token[:2], token[2:]
    if kind == "f:" and isinstance(node, dict) and arg in node:
        return node, arg
    if kind == "k:" and isinstance(node, list):
        want = json.loads(arg)
        for i, item in enumerate(node):
            if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                return node, i
    if kind == "v:" and isinstance(node, list):
        value = json.loads(arg)
        if value in node:
            return node, node.index(value)
    return None, None


def get_path(obj, path):
    node = obj
    for token in path:
        container, loc = _step(node, token)
        if container is None:
            return False, None
        node = container[loc]
    return True, node


def remove_path(obj, path, protected):
    """Remove path from obj; then prune parents it left empty unless they are owned (in protected)."""
    steps = []  # (container, locator) of every token; the node at path[:i+1] is steps[i][0][steps[i][1]]
    node = obj
    for token in path:
        container, loc = _step(node, token)
        if container is None:
            return
        steps.append((container, loc))
        node = container[loc]
    container, loc = steps.pop()
    del container[loc]
    # prune emptied parents (never the metadata map itself)
    while steps:
        container, loc = steps[-1]
        parent_path = path[:len(steps)]
        if container[loc] or parent_path in protected or parent_path == ("f:metadata",):
            break
        del container[loc]
        steps.pop()


def is_under(path, prefix):
    return path[:len(prefix)] == prefix


def format_path(path):
    out = ""
    for token in path:
        kind, arg = token[:2], token[2:]
        if kind == "f:":
            out += "." + arg
        elif kind == "k:":
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(arg).items()) + "]"
        else:
            out += "[=" + arg + "]"
    return out
