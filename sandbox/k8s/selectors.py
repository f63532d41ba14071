"""Label and field selector parsing/matching (the string forms used in ?labelSelector= / ?fieldSelector=)."""
import re

from .errors import ApiError

_TOKEN = re.compile(r"""\s*(?:
    (?P<notexists>!)\s*(?P<nkey>[^\s,!=()]+)\s*(?=,|$) |
    (?P<key>[^\s,!=()]+)\s*(?:
        (?P<op>==|=|!=)\s*(?P<value>[^\s,()]*) |
        \s(?P<setop>in|notin)\s*\((?P<values>[^)]*)\) |
        (?=,|$)
    )
)\s*(?:,|$)""", re.X)


def parse_label_selector(text):
    """Return a list of (key, op, values) requirements; op in = != in notin exists !exists."""
    reqs = []
    text = (text or "").strip()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: invalid label selector {text!r}")
        pos = m.end()
        if m.group("notexists"):
            reqs.append((m.group("nkey"), "!exists", ()))
        elif m.group("op"):
            reqs.append((m.group("key"), "!=" if m.group("op") == "!=" else "=", (m.group("value"),)))
        elif m.group("setop"):
            values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
            reqs.append((m.group("key"), m.group("setop"), values))
        else:
            reqs.append((m.group("key"), "exists", ()))
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        if op == "=" and labels.get(key) != values[0]:
            return False
        if op == "!=" and present and labels[key] == values[0]:
            return False
        if op == "in" and (not present or labels[key] not in values):
            return False
        if op == "notin" and present and labels[key] in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
    return True


def parse_field_selector(text):
    """Return a list of (dotted.path, op, value) with op '=' or '!='."""
    reqs = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", part)
        if not m:
            raise ApiError(400, "BadRequest", f"invalid field selector {part!r}")
        reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
    return reqs


def _field(obj, path):
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def match_fields(reqs, obj):
    for path, op, value in reqs:
        actual = _field(obj, path)
        if (actual == value) != (op == "="):
            return False
    return True


def selector_string(selector):
    """LabelSelector object -> string form (for Scale.status.selector)."""
    parts = [f"{k}={v}" for k, v in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for expr in (selector or {}).get("matchExpressions") or []:
        op, key, vals = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(vals)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(vals)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)

