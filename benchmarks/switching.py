"""Traffic switching for N services: seed N blue/green services on the sandbox's primary ALB, read where they point.

Each service is a listener rule (path /bench/<nnn>/*) forwarding to its blue target group, on listeners of their own
(ports from BENCH_PORT) so the estate's listener and its rules stay as seeded. At most RULES_PER_LISTENER rules per
listener: moto answers DescribeRules 50 rules a page and amazon.aws.elb_application_lb reads only the first page (past
it, it tries to create the rules it did not see and fails with PriorityInUse). 200 services also exceed an ALB's
default quota of 100 rules, so a real estate would spread them over more load balancers anyway. The rules and groups
are created with plain `TargetGroupArn` forward actions, the shape AWS itself returns for a single group, so neither
implementation sees a difference that is only a matter of representation. Seeding goes through the sandbox's own
boto3 clients (sandbox.knobs.Sandbox.client): those calls are neither counted nor timed.
"""

from __future__ import annotations

from typing import Any

BENCH_PORT = 8080
RULES_PER_LISTENER = 50
SIDE = "primary"


def service_name(index: int) -> str:
    return "bench-%03d" % index


def seed_services(sb: Any, count: int) -> dict[str, Any]:
    """Create `count` services (two target groups, one rule each) on the primary ALB; returns the plan the switch
    playbooks read (benchmarks/switch/*.yml)."""
    alb = sb.inventory["cloudops_alb"][SIDE]
    region = alb.get("region") or sb.region_of(SIDE)
    net = sb.info["aws"]["network"][SIDE]
    elb = sb.client("elbv2", region)
    lb = elb.describe_load_balancers(Names=[alb["load_balancer_name"]])["LoadBalancers"][0]
    default_group = alb["target_groups"]["blue"]
    default_arn = elb.describe_target_groups(Names=[default_group])["TargetGroups"][0]["TargetGroupArn"]
    listeners: dict[int, str] = {}
    services = []
    for i in range(1, count + 1):
        name = service_name(i)
        port = BENCH_PORT + (i - 1) // RULES_PER_LISTENER
        if port not in listeners:
            listeners[port] = elb.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": default_arn}])["Listeners"][0]["ListenerArn"]
        arns = {}
        for colour in ("blue", "green"):
            tg = elb.create_target_group(Name="%s-%s" % (name, colour), Protocol="HTTP", Port=8080,
                                         VpcId=net["vpc_id"], TargetType="instance")["TargetGroups"][0]
            elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                 Targets=[{"Id": iid, "Port": 8080} for iid in net["instances"][colour]])
            arns[colour] = tg["TargetGroupArn"]
        path = "/bench/%03d/*" % i
        elb.create_rule(ListenerArn=listeners[port], Priority=i,
                        Conditions=[{"Field": "path-pattern", "Values": [path]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": arns["blue"]}])
        services.append({"name": name, "port": port, "priority": i, "path": path,
                         "blue": "%s-blue" % name, "green": "%s-green" % name})
    return {"bench_alb": {"name": alb["load_balancer_name"], "region": region, "ports": sorted(listeners),
                          "default_group": default_group},
            "bench_services": services}


def live_groups(sb: Any, plan: dict[str, Any]) -> dict[str, list[str]]:
    """Per service, the target groups its rule forwards traffic to (weight > 0) now."""
    bench = plan["bench_alb"]
    elb = sb.client("elbv2", bench["region"])
    lb = elb.describe_load_balancers(Names=[bench["name"]])["LoadBalancers"][0]
    rules = [rule for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
             if li["Port"] in bench["ports"]
             for page in elb.get_paginator("describe_rules").paginate(ListenerArn=li["ListenerArn"])
             for rule in page["Rules"] if not rule.get("IsDefault")]
    names = {}
    for rule in rules:
        action = rule["Actions"][0]
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if weighted:
            arns = [g["TargetGroupArn"] for g in weighted if g.get("Weight", 1) > 0]
        else:
            arns = [action["TargetGroupArn"]]
        names[int(rule["Priority"])] = sorted(arn.split("/")[1] for arn in arns)
    return {s["name"]: names.get(s["priority"], []) for s in plan["bench_services"]}
