"""The estate of the N-service deploy scenario: the sandbox inventory with N blue-green services.

`web` stays as the sandbox inventory describes it (each side's listener default action); services 2..N are copies of
it (`web-02`, ...) routed by a listener rule each (priority 100 + i, paths /web-02 and /web-02/*) with target groups
and Helm releases of their own (`web-02-blue`/`web-02-green`, namespace `shop` like web's, on both sides). The other
services of the sandbox inventory (catalog's canary, a rolling one) are left out, so deploy(N)/deploy(1) measures how
the runbook scales with the number of services, not a mix of strategies. The sandbox seeds everything from this
inventory (`python -m sandbox up --inventory`: its releases in both clusters, target groups and rules on both ALBs);
the collection's deploy.yml runs with `-i` on it: `-e deploy_service=web` for one service, no deploy_service for all N.
The N services are independent of one another (no deploy_after) and the estate says so: `cloudops_deploy.max_parallel`
is N, so the deploy ships them in one wave (one module process per step for all N), as an SRE would declare them.
`build_inventory` is pure (tests in benchmarks/tests/test_services.py); `write_inventory` copies the directory.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_SERVICE = "web"
RULE_PRIORITY_BASE = 100


def service_name(index: int) -> str:
    return "%s-%02d" % (TEMPLATE_SERVICE, index)


def build_inventory(estate: dict[str, Any], sandbox: dict[str, Any], count: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(estate.yml, sandbox.yml) of an estate whose cloudops_services are `web` and count - 1 copies of it, declared
    independent (cloudops_deploy.max_parallel: count)."""
    if count < 1:
        raise ValueError("the N-service deploy needs at least one service (got %d)" % count)
    template = next((s for s in estate.get("cloudops_services", []) if s["name"] == TEMPLATE_SERVICE), None)
    if template is None or template.get("strategy") != "bluegreen":
        raise ValueError("the inventory has no blue-green service %r to copy" % TEMPLATE_SERVICE)
    estate, sandbox = copy.deepcopy(estate), copy.deepcopy(sandbox)
    services = [copy.deepcopy(template)]
    paths = sandbox["sandbox_seed"].setdefault("listener_rule_paths", {})
    for i in range(2, count + 1):
        name = service_name(i)
        svc = copy.deepcopy(template)
        svc["name"] = name
        svc["releases"] = {colour: "%s-%s" % (name, colour) for colour in template["releases"]}
        for side, route in svc["traffic"].items():
            route["rule_priority"] = RULE_PRIORITY_BASE + i
            route["target_groups"] = {colour: "%s-%s-%s-%s" % (estate.get("cloudops_application", "shop"), side, name,
                                                                colour) for colour in route["target_groups"]}
        services.append(svc)
        paths[name] = ["/%s" % name, "/%s/*" % name]
    estate["cloudops_services"] = services
    # Only the kept services' rule paths: the sandbox refuses a path of a service the estate does not route by rule.
    sandbox["sandbox_seed"]["listener_rule_paths"] = dict((name, rules) for name, rules in paths.items()
                                                          if name in set(s["name"] for s in services))
    estate["cloudops_deploy"] = dict(estate.get("cloudops_deploy") or {}, max_parallel=count)
    return estate, sandbox


def write_inventory(source: Path, target: Path, count: int) -> Path:
    """Copy the inventory directory `source` to `target` with build_inventory's estate and seed; returns target."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    group_vars = target / "group_vars" / "all"
    estate = yaml.safe_load((group_vars / "estate.yml").read_text())
    sandbox = yaml.safe_load((group_vars / "sandbox.yml").read_text())
    estate, sandbox = build_inventory(estate, sandbox, count)
    header = "# Written by benchmarks/services.py from %s: %d blue-green services.\n" % (source, count)
    (group_vars / "estate.yml").write_text("---\n" + header + yaml.safe_dump(estate, sort_keys=False, width=120))
    (group_vars / "sandbox.yml").write_text("---\n" + header + yaml.safe_dump(sandbox, sort_keys=False, width=120))
    return target
