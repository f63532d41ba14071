"""The schema of `sandbox_seed` (an inventory's group_vars/all/sandbox.yml) and the estate keys the seeder reads.

Argument-spec style, as a role's meta/argument_specs.yml: each option has a `type`, `required` or a `default`
(a callable for defaults that follow from the estate), `choices`, `description`, nested `options`, and `elements` for
lists. validate() checks an inventory's merged variables before anything starts and returns `sandbox_seed` with every
default filled in; ValueError lists every missing or wrong key by its full name (sandbox_seed.rds.db_name ...), so a
new estate is fixed in one pass. SPEC is also what README's "Rehearse your own estate" documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA_FILE = "sandbox/rdsdata/shop.sql"
DEFAULT_VPC = {"primary": {"cidr": "10.10.0.0/16", "subnets": ["10.10.1.0/24", "10.10.2.0/24"]},
               "dr": {"cidr": "10.20.0.0/16", "subnets": ["10.20.1.0/24", "10.20.2.0/24"]}}
DEFAULT_NODEGROUPS = {"primary": {"min": 3, "desired": 3, "max": 6}, "dr": {"min": 1, "desired": 1, "max": 6}}
TARGET_GROUP_NAME_MAX = 32  # AWS's limit on a target group's name


def _app(inv: dict[str, Any]) -> str:
    return str(inv.get("cloudops_application") or "app")


def _db(inv: dict[str, Any]) -> dict[str, Any]:
    return inv.get("cloudops_db") if isinstance(inv.get("cloudops_db"), dict) else {}


SIZES = {"min": {"type": "int", "required": True}, "desired": {"type": "int", "required": True},
         "max": {"type": "int", "required": True}}

SPEC: dict[str, dict[str, Any]] = {
    "vpc": {"type": "dict", "default": lambda inv: {}, "description":
            "Per side (primary, dr): {cidr, subnets: [cidr, ...]} of its VPC, one subnet per availability zone "
            "(a, b, ...). Default 10.10.0.0/16 (primary) and 10.20.0.0/16 (dr) with two /24 subnets.",
            "per_side": {"cidr": {"type": "str", "required": True},
                         "subnets": {"type": "list", "elements": "str", "required": True}}},
    "targets_per_group": {"type": "int", "default": 2, "description":
                          "EC2 instances per colour, registered (healthy) in every target group of that colour."},
    "active_colour": {"type": "str", "default": "blue", "choices": ["blue", "green"], "description":
                      "The colour the listeners and every service's rule forward to at start."},
    "rds": {"type": "dict", "default": lambda inv: {}, "description": "The database instance (and its replica).",
            "options": {
                "engine": {"type": "str",
                           "default": lambda inv: (inv.get("cloudops_rds") or {}).get("engine") or "postgres"},
                "engine_version": {"type": "str", "default": "15.4"},
                "instance_class": {"type": "str", "default": "db.t3.medium"},
                "cluster_instance_class": {"type": "str", "default": "db.r6g.large",
                                           "description": "Aurora estates (cloudops_rds.engine aurora-postgresql)."},
                "allocated_storage": {"type": "int", "default": 20},
                "backup_retention_days": {"type": "int", "default": 7},
                "master_username": {"type": "str", "default": lambda inv: f"{_app(inv)}_admin".replace("-", "_")},
                "db_name": {"type": "str", "default": lambda inv: _db(inv).get("name") or _app(inv).replace("-", "_"),
                            "description": "Default cloudops_db.name."},
                "master_secret_name": {"type": "str", "description": "Secrets Manager, in every region of the estate. "
                                       "Default cloudops_db.credentials.secret_id, else <application>/db/master.",
                                       "default": lambda inv: (_db(inv).get("credentials") or {}).get("secret_id")
                                       or f"{_app(inv)}/db/master"},
                "initial_replica_lag_seconds": {"type": "float", "default": 2.0},
                "schema_file": {"type": "str", "default": DEFAULT_SCHEMA_FILE, "description":
                                "SQL run on the primary after it is created: the estate's own tables and rows. "
                                "Relative to the inventory directory, else to the repository. Default the shop's."},
            }},
    "cache": {"type": "dict", "default": lambda inv: {}, "description":
              "The ElastiCache Redis replication groups of cloudops_cache (one real redis-server each).",
              "options": {
                  "engine_version": {"type": "str", "default": "7.0"},
                  "node_type": {"type": "str", "default": "cache.r6g.large"},
                  "nodes_per_group": {"type": "int", "default": 2, "description":
                                      "Nodes per replication group (NumCacheClusters): a primary and replicas."},
                  "initial_replica_lag_seconds": {"type": "float", "default": 0.5, "description":
                                                  "The Global Datastore link's lag at start."},
                  "keys": {"type": "dict", "default": lambda inv: {}, "description":
                           "Keys SET on the primary group once created (they replicate to DR)."}}},
    "s3": {"type": "dict", "default": lambda inv: {}, "description": "The buckets of cloudops_buckets.",
           "options": {
               "replication_delay_seconds": {"type": "float", "default": 1.0, "description":
                                             "How long after a put a version is copied to the DR bucket."},
               "objects": {"type": "dict", "default": lambda inv: {}, "description":
                           "Objects (key: body) put into every source bucket once created (they replicate)."}}},
    "eks": {"type": "dict", "default": lambda inv: {}, "options": {
        "version": {"type": "str", "default": "1.30"},
        "instance_types": {"type": "list", "elements": "str", "default": ["t3.large"]}}},
    "nodegroups": {"type": "dict", "default": lambda inv: {}, "description":
                   "Per side: {min, desired, max} of its node group. Default 3/3/6 (primary), 1/1/6 (dr).",
                   "per_side": SIZES},
    "dns": {"type": "dict", "default": lambda inv: {}, "options": {
        "ttl": {"type": "int", "default": 60},
        "health_check": {"type": "dict", "default": lambda inv: {}, "options": {
            "interval": {"type": "int", "default": 10, "choices": [10, 30]},
            "failure_threshold": {"type": "int", "default": 3}}}}},
    "alarms": {"type": "list", "elements": "dict", "default": [], "description":
               "CloudWatch alarms, seeded in state OK. `side` (default primary) says the region and the resource: "
               "the side's ALB (namespace AWS/ApplicationELB) or its database (AWS/RDS: the primary or the replica).",
               "options": {
                   "name": {"type": "str", "required": True},
                   "metric": {"type": "str", "required": True},
                   "statistic": {"type": "str", "required": True,
                                 "choices": ["Average", "Sum", "Minimum", "Maximum", "SampleCount"]},
                   "threshold": {"type": "float", "required": True},
                   "side": {"type": "str", "default": "primary"},
                   "namespace": {"type": "str", "default": "AWS/ApplicationELB",
                                 "choices": ["AWS/ApplicationELB", "AWS/RDS"]},
                   "comparison": {"type": "str", "default": "GreaterThanThreshold"},
                   "period": {"type": "int", "default": 60},
                   "evaluation_periods": {"type": "int", "default": 1}}},
    "helm": {"type": "dict", "default": lambda inv: {}, "description": "The releases the sandbox installs.",
             "options": {
                 "chart": {"type": "str", "default": "sandbox/charts/sample-app"},
                 "values": {"type": "dict", "default": lambda inv: {
                     "blue": {"replicaCount": 2, "image": {"tag": "1.0.0"}},
                     "green": {"replicaCount": 2, "image": {"tag": "1.0.0"}}},
                     "description": "Per colour: the values of that colour's releases (a service's own values first)."},
                 "dr_replica_count": {"type": "int", "default": 1}}},
    "listener_rule_paths": {"type": "dict", "default": lambda inv: {}, "description":
                            "Per service routed by a listener rule (traffic.<side>.rule_priority): its path patterns. "
                            "Default [/<service>, /<service>/*]."},
}

_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
                                       "list": (list,), "dict": (dict,)}


def _default(option: dict[str, Any], inv: dict[str, Any]) -> Any:
    value = option.get("default")
    if callable(value):
        return value(inv)
    return [dict(v) if isinstance(v, dict) else v for v in value] if isinstance(value, list) else value


def _check(value: Any, option: dict[str, Any], name: str, errors: list[str], inv: Any = None) -> Any:
    kind = option.get("type", "str")
    if kind == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # YAML reads 15.4 or 1.30 as numbers
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, _TYPES[kind]) or (kind in ("int", "float") and isinstance(value, bool)):
        errors.append(f"{name}: must be a {kind}, got {type(value).__name__} {value!r}")
        return value
    if option.get("choices") and value not in option["choices"]:
        errors.append(f"{name}: {value!r} is not one of {option['choices']}")
    if kind == "list" and option.get("elements"):
        sub = {"type": option["elements"], "options": option.get("options")}
        value = [_check(item, sub, f"{name}[{i}]", errors, inv) for i, item in enumerate(value)]
    elif kind == "dict" and option.get("options"):
        value = _options(value, option["options"], name, errors, inv)
    return value


def _options(data: dict[str, Any], spec: dict[str, Any], prefix: str, errors: list[str], inv: Any) -> dict[str, Any]:
    out = {}
    for key in sorted(set(data) - set(spec)):
        errors.append(f"{prefix}.{key}: unknown key (known: {', '.join(sorted(spec))})")
    for key, option in spec.items():
        name = f"{prefix}.{key}"
        if key not in data or data[key] is None:
            if option.get("required"):
                errors.append(f"{name}: missing ({option.get('description') or 'required'})")
            elif option.get("type") == "dict" and option.get("options"):
                out[key] = _options({}, option["options"], name, errors, inv)
            elif "default" in option:
                out[key] = _default(option, inv or {})
            continue
        out[key] = _check(data[key], option, name, errors, inv)
    return out


def sides_of(inv: dict[str, Any]) -> tuple[str, ...]:
    return ("primary", "dr") if (inv.get("cloudops_regions") or {}).get("dr") else ("primary",)


def validate(inv: dict[str, Any], inventory_dir: Path | None = None) -> dict[str, Any]:
    """`sandbox_seed` checked and completed; ValueError listing every missing or wrong key of it and of the estate
    keys the seeder reads."""
    errors: list[str] = []
    seed_in = inv.get("sandbox_seed")
    if seed_in is None:
        seed_in = {}  # every key has a default: an estate can be rehearsed without a sandbox.yml
    if not isinstance(seed_in, dict):
        raise ValueError(f"sandbox_seed: must be a mapping, got {type(seed_in).__name__}")
    sides = sides_of(inv)
    _estate(inv, sides, errors)
    top = {k: {kk: vv for kk, vv in v.items() if kk != "per_side"} for k, v in SPEC.items()}
    seed = _options(seed_in, top, "sandbox_seed", errors, inv)
    for key, defaults in (("vpc", DEFAULT_VPC), ("nodegroups", DEFAULT_NODEGROUPS)):
        given = seed.get(key) if isinstance(seed.get(key), dict) else {}
        for extra in sorted(set(given) - set(sides)):
            errors.append(f"sandbox_seed.{key}.{extra}: the estate has no side {extra!r} (cloudops_regions: "
                          f"{', '.join(sides)})")
        seed[key] = {side: _options(given.get(side) or defaults[side], SPEC[key]["per_side"],
                                    f"sandbox_seed.{key}.{side}", errors, inv) for side in sides}
    for side, vpc in seed["vpc"].items():
        if isinstance(vpc.get("subnets"), list) and not 1 <= len(vpc["subnets"]) <= 6:
            errors.append(f"sandbox_seed.vpc.{side}.subnets: 1 to 6 subnets (one per availability zone a-f)")
    for i, alarm in enumerate(seed.get("alarms") or []):
        if isinstance(alarm, dict) and alarm.get("side") not in sides:
            errors.append(f"sandbox_seed.alarms[{i}].side: {alarm.get('side')!r} is not a side of the estate "
                          f"({', '.join(sides)})")
    rds = seed.get("rds") or {}
    if isinstance(rds.get("schema_file"), str):
        path = schema_path(rds["schema_file"], inventory_dir)
        if path is None:
            errors.append(f"sandbox_seed.rds.schema_file: {rds['schema_file']} not found (relative to the inventory "
                          f"{inventory_dir} or to the repository {REPO_ROOT})")
        else:
            rds["schema_file"] = str(path)
    seed["listener_rule_paths"] = _rule_paths(inv, seed.get("listener_rule_paths") or {}, errors)
    if errors:
        raise ValueError(f"the inventory {inventory_dir or ''} cannot be seeded, {len(errors)} problem(s):\n  "
                         + "\n  ".join(errors))
    return seed


def schema_path(value: str, inventory_dir: Path | None) -> Path | None:
    """The schema file: absolute, else relative to the inventory directory, else to the repository root."""
    candidates = [Path(value)] if Path(value).is_absolute() else \
        [p / value for p in ([Path(inventory_dir)] if inventory_dir else []) + [REPO_ROOT]]
    return next((p.resolve() for p in candidates if p.is_file()), None)


def _need(inv: dict[str, Any], path: str, errors: list[str], kind: type = str, why: str = "") -> Any:
    node: Any = inv
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None or not isinstance(node, kind) or node == "":
        errors.append(f"{path}: {'missing' if node is None else f'must be a {kind.__name__}'}"
                      + (f" ({why})" if why else ""))
    return node


def _estate(inv: dict[str, Any], sides: tuple[str, ...], errors: list[str]) -> None:
    """The estate keys (estate.yml) the seeder builds from: per side its region, cluster, node group, ALB."""
    _need(inv, "cloudops_regions.primary", errors, why="the primary region")
    for side in sides:
        for key in ("cluster_name", "nodegroup_name"):
            _need(inv, f"cloudops_eks.{side}.{key}", errors)
        for key in ("load_balancer_name",):
            _need(inv, f"cloudops_alb.{side}.{key}", errors)
        _need(inv, f"cloudops_alb.{side}.listener_port", errors, int)
        groups = _need(inv, f"cloudops_alb.{side}.target_groups", errors, dict, "blue and green target group names")
        if isinstance(groups, dict):
            _target_group_names(groups, f"cloudops_alb.{side}.target_groups", errors)
    if not str((inv.get("cloudops_rds") or {}).get("engine") or "").startswith("aurora"):
        _need(inv, "cloudops_rds.primary.instance_id", errors)
        _need(inv, "cloudops_rds.primary.region", errors)
    for key in ("zone_name", "record_name"):
        _need(inv, f"cloudops_dns.{key}", errors)
    _cache_and_buckets(inv, sides, errors)
    services = inv.get("cloudops_services") or []
    if not isinstance(services, list):
        errors.append("cloudops_services: must be a list")
        return
    priorities: dict[tuple[str, str, int], str] = {}
    for i, svc in enumerate(services):
        if not isinstance(svc, dict) or not svc.get("name"):
            errors.append(f"cloudops_services[{i}].name: missing")
            continue
        for side, route in (svc.get("traffic") or {}).items():
            where = f"cloudops_services[{svc['name']}].traffic.{side}"
            if side not in sides:
                errors.append(f"{where}: the estate has no side {side!r}")
                continue
            if not isinstance(route, dict):
                continue
            if isinstance(route.get("target_groups"), dict):
                _target_group_names(route["target_groups"], f"{where}.target_groups", errors)
            if route.get("rule_priority") is not None:
                if not isinstance(route["rule_priority"], int) or not 1 <= route["rule_priority"] <= 50000:
                    errors.append(f"{where}.rule_priority: must be an integer from 1 to 50000")
                    continue
                key = (side, str(route.get("load_balancer_name")), int(route["rule_priority"]))
                if key in priorities:
                    errors.append(f"{where}.rule_priority: {key[2]} is also {priorities[key]}'s on that listener")
                priorities[key] = svc["name"]
                if not isinstance(route.get("target_groups"), dict):
                    errors.append(f"{where}.target_groups: missing (a rule-routed service has its own target groups)")


def _cache_and_buckets(inv: dict[str, Any], sides: tuple[str, ...], errors: list[str]) -> None:
    """cloudops_cache (ElastiCache Global Datastore) and cloudops_buckets (S3 buckets replicated to DR), if present."""
    from sandbox.elasticache import global_prefix

    cache = inv.get("cloudops_cache")
    if cache is not None:
        if not isinstance(cache, dict):
            errors.append("cloudops_cache: must be a mapping")
        else:
            _need(inv, "cloudops_cache.primary.region", errors)
            _need(inv, "cloudops_cache.primary.replication_group_id", errors)
            gid, secondary = cache.get("global_datastore_id"), cache.get("secondary")
            if secondary is not None:
                _need(inv, "cloudops_cache.secondary.region", errors)
                _need(inv, "cloudops_cache.secondary.replication_group_id", errors)
                if "dr" not in sides:
                    errors.append("cloudops_cache.secondary: a one-region estate has no DR side (cloudops_regions.dr)")
                if not gid:
                    errors.append("cloudops_cache.global_datastore_id: missing (a secondary group replicates "
                                  "through a Global Datastore)")
            region = (cache.get("primary") or {}).get("region") if isinstance(cache.get("primary"), dict) else None
            if gid and isinstance(region, str):
                prefix = global_prefix(region)
                if not str(gid).startswith(prefix + "-") or len(str(gid)) <= len(prefix) + 1:
                    errors.append(f"cloudops_cache.global_datastore_id: {gid!r} must be '{prefix}-<suffix>' (the "
                                  f"sandbox's Global Datastore prefix of {region}; AWS's own prefix differs)")
    buckets = inv.get("cloudops_buckets")
    if buckets is None:
        return
    if not isinstance(buckets, list):
        errors.append("cloudops_buckets: must be a list")
        return
    for i, bucket in enumerate(buckets):
        if not isinstance(bucket, dict) or not bucket.get("name"):
            errors.append(f"cloudops_buckets[{i}].name: missing")
        elif bucket.get("dr_name") and "dr" not in sides:
            errors.append(f"cloudops_buckets[{i}].dr_name: a one-region estate has no DR side")


def _target_group_names(groups: dict[str, Any], where: str, errors: list[str]) -> None:
    for colour, name in groups.items():
        if not isinstance(name, str) or not 0 < len(name) <= TARGET_GROUP_NAME_MAX:
            errors.append(f"{where}.{colour}: {name!r} is not a target group name (1 to {TARGET_GROUP_NAME_MAX} "
                          "characters)")


def rule_routed(inv: dict[str, Any]) -> list[str]:
    """Names of the services that some side routes by a listener rule."""
    return [svc["name"] for svc in inv.get("cloudops_services") or [] if isinstance(svc, dict) and
            any(isinstance(r, dict) and r.get("rule_priority") is not None for r in (svc.get("traffic") or {}).values())]


def _rule_paths(inv: dict[str, Any], given: dict[str, Any], errors: list[str]) -> dict[str, list[str]]:
    routed = rule_routed(inv)
    for name in sorted(set(given) - set(routed)):
        errors.append(f"sandbox_seed.listener_rule_paths.{name}: no service {name!r} routed by a listener rule "
                      f"(rule-routed: {', '.join(routed) or 'none'})")
    out = {}
    for name in routed:
        paths = given.get(name, [f"/{name}", f"/{name}/*"])
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.startswith("/") for p in paths):
            errors.append(f"sandbox_seed.listener_rule_paths.{name}: must be a list of path patterns starting with /")
        out[name] = paths
    return out


def describe(spec: dict[str, Any] | None = None, prefix: str = "sandbox_seed") -> list[str]:
    """The spec as lines `name (type, default ...): description` (for docs and `--help`)."""
    lines = []
    for key, option in (spec or SPEC).items():
        default = option.get("default")
        shown = "" if option.get("required") else \
            (" default from the estate" if callable(default) else f" default {default!r}" if "default" in option else "")
        lines.append(f"{prefix}.{key} ({option.get('type', 'str')}{', required' if option.get('required') else ''}"
                     f"{',' + shown if shown else ''}): {option.get('description', '')}".rstrip(": "))
        for sub_key in ("options", "per_side"):
            if option.get(sub_key):
                lines += describe(option[sub_key], f"{prefix}.{key}{'.<side>' if sub_key == 'per_side' else ''}"
                                  + ("[]" if option.get("type") == "list" else ""))
    return lines

