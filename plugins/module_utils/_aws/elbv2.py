# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Load Balancer calls: describes as plain dicts (each made once per module run by `Reads`), the traffic
read of alb_traffic_info, and the two writes a traffic switch makes (ModifyListener, ModifyRule)."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, paginate


def _fail(module, e, what):
    module.fail_json_aws(e, msg="Could not describe %s: check the region and elasticloadbalancing:Describe* permissions" % what)


def load_balancer(module, conn, name):
    """The load balancer (boto3 shape), or None when no load balancer has that name."""
    try:
        found = paginate(conn, "describe_load_balancers", Names=[name])["LoadBalancers"]
    except is_boto3_error_code("LoadBalancerNotFound"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "load balancer %s" % name)
    return found[0] if found else None  # moto answers an unknown name with an empty list


class LoadBalancerGone(Exception):
    """No load balancer has the ARN (listener(missing_ok=True))."""


def listener(module, conn, lb_arn, port, missing_ok=False):
    """The listener of the load balancer on port (boto3 shape), or None. missing_ok: raise LoadBalancerGone when no
    load balancer has the ARN (the caller looks it up by name) instead of failing."""
    try:
        listeners = paginate(conn, "describe_listeners", LoadBalancerArn=lb_arn)["Listeners"]
    except is_boto3_error_code("LoadBalancerNotFound") as e:
        if missing_ok:
            raise LoadBalancerGone(lb_arn)
        _fail(module, e, "listeners of %s" % lb_arn)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "listeners of %s" % lb_arn)
    return next((item for item in listeners if item.get("Port") == port), None)


def target_groups(module, conn, arns=None, names=None):
    """Target groups by ARN or by name (boto3 shape); a missing name fails with the name in the message."""
    params = {"TargetGroupArns": arns} if arns else {"Names": names}
    try:
        return paginate(conn, "describe_target_groups", **params)["TargetGroups"]
    except is_boto3_error_code("TargetGroupNotFound") as e:
        module.fail_json_aws(e, msg="Target group not found among %s: fix the colour map (target group names)" % (names or arns))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "target groups %s" % (names or arns))


class TargetGroupGone(Exception):
    """No target group has the ARN (target_health(missing_ok=True))."""


def target_health(module, conn, tg_arn, missing_ok=False):
    """Targets of a group as [{id, port, state, reason, description}], sorted by id and port. missing_ok: raise
    TargetGroupGone when no group has the ARN (the caller looks it up by name) instead of failing."""
    try:
        found = conn.describe_target_health(TargetGroupArn=tg_arn, aws_retry=True)["TargetHealthDescriptions"]
    except is_boto3_error_code("TargetGroupNotFound") as e:
        if missing_ok:
            raise TargetGroupGone(tg_arn)
        _fail(module, e, "target health of %s" % tg_arn)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        _fail(module, e, "target health of %s" % tg_arn)
    targets = [
        {
            "id": item["Target"]["Id"],
            "port": item["Target"].get("Port"),
            "state": item.get("TargetHealth", {}).get("State"),
            "reason": item.get("TargetHealth", {}).get("Reason"),
            "description": item.get("TargetHealth", {}).get("Description"),
        }
        for item in found
    ]
    return sorted(targets, key=lambda target: (target["id"], target["port"] or 0))


def forward_of(listener_or_rule):
    """The forward targets as [{target_group_arn, weight}] of a listener's default actions or a rule's actions.

    A plain forward (TargetGroupArn, no ForwardConfig) sends all traffic to one group: weight 1.
    """
    actions = listener_or_rule.get("DefaultActions", listener_or_rule.get("Actions", []))
    weights = traffic.forward_action(actions)[1]
    return [{"target_group_arn": arn, "weight": weight} for arn, weight in weights.items()]


def _chunks(items, size=20):
    return [items[start:start + size] for start in range(0, len(items), size)]


class Reads(object):
    """One region's ELBv2 describes for one module run, each made at most once however many switches share a
    load balancer, listener or rule set. Missing things read as None so the module can say what to fix."""

    def __init__(self, module, conn, region):
        self.module = module
        self.conn = conn
        self.region = region
        self._load_balancers = {}  # name -> load balancer | None
        self._listeners_of = {}    # load balancer ARN -> [listener]
        self._listeners = {}       # listener ARN -> listener | None
        self._rules_of = {}        # listener ARN -> [rule] | None
        self._groups = {}          # target group ARN -> target group
        self._group_arns = {}      # target group name -> ARN

    def load_balancer(self, name):
        if name not in self._load_balancers:
            self._load_balancers[name] = load_balancer(self.module, self.conn, name)
        return self._load_balancers[name]

    def listeners(self, lb_arn):
        if lb_arn not in self._listeners_of:
            try:
                found = paginate(self.conn, "describe_listeners", LoadBalancerArn=lb_arn)["Listeners"]
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                _fail(self.module, e, "listeners of %s" % lb_arn)
            self._listeners_of[lb_arn] = found
            for item in found:
                self._listeners[item["ListenerArn"]] = item
        return self._listeners_of[lb_arn]

    def listener(self, arn):
        if arn not in self._listeners:
            try:
                found = self.conn.describe_listeners(ListenerArns=[arn], aws_retry=True)["Listeners"]
            except is_boto3_error_code("ListenerNotFound"):
                found = []
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
                _fail(self.module, e, "listener %s" % arn)
            self._listeners[arn] = found[0] if found else None
        return self._listeners[arn]

    def rules(self, listener_arn):
        if listener_arn not in self._rules_of:
            try:
                self._rules_of[listener_arn] = paginate(self.conn, "describe_rules", ListenerArn=listener_arn)["Rules"]
            except is_boto3_error_code("ListenerNotFound"):
                self._rules_of[listener_arn] = None
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
                _fail(self.module, e, "rules of listener %s" % listener_arn)
        return self._rules_of[listener_arn]

    def _describe_groups(self, key, values):
        """Target groups for a batch of names or ARNs; on a missing one, finds which (one call each) and fails."""
        try:
            return paginate(self.conn, "describe_target_groups", **{key: values})["TargetGroups"]
        except is_boto3_error_code("TargetGroupNotFound"):
            pass
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
            _fail(self.module, e, "target groups %s" % values)
        found, missing = [], []
        for value in values:
            try:
                found += paginate(self.conn, "describe_target_groups", **{key: [value]})["TargetGroups"]
            except is_boto3_error_code("TargetGroupNotFound"):
                missing.append(value)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
                _fail(self.module, e, "target group %s" % value)
        self.module.fail_json(msg="Target group(s) %s not found in %s: check the target group names or ARNs and the region"
                              % (", ".join(missing), self.region))
        return found

    def target_groups(self, names=(), arns=()):
        """Describe the target groups not seen yet: all names in one call, all ARNs in another (batches of 20)."""
        new_names = sorted(set(name for name in names if name not in self._group_arns))
        new_arns = sorted(set(arn for arn in arns if arn not in self._groups))
        for key, values in (("Names", new_names), ("TargetGroupArns", new_arns)):
            for chunk in _chunks(values):
                for group in self._describe_groups(key, chunk):
                    self._groups[group["TargetGroupArn"]] = group
                    self._group_arns[group["TargetGroupName"]] = group["TargetGroupArn"]

    def group_arn(self, name_or_arn):
        return name_or_arn if traffic.is_arn(name_or_arn) else self._group_arns.get(name_or_arn)

    def group_names(self):
        """{ARN: name} of every target group described so far."""
        return dict((arn, group["TargetGroupName"]) for arn, group in self._groups.items())


def traffic_info(module, conn, region, name, port, colours, rule_priority=None, reads=None, known=None):
    """What alb_traffic_info returns: where the listener on port (or its rule of rule_priority) forwards, the health
    of each forwarded group and of each group of the colour map ({colour: target group name}), the active colour.
    A missing load balancer, listener or rule fails the module with what to fix.

    reads: the region's Reads shared with other reads of the same module run (the deploy's preflight reads every
    route of a load balancer at once: _aws/shared.LockedReads), which describes the load balancer, its listeners and
    rules once for all of them, and the target groups when it has them (else they are described here, as without
    it); the target health is read here either way.

    known: {arn, dns_name, target_groups: {name: ARN}} of the load balancer and its colours' groups as the caller
    already described them (not described again, unless the load balancer's listeners or a group's health say no such
    ARN exists any more: then it is looked up by name)."""
    found = lb = None
    if known and reads is None:
        lb = {"LoadBalancerArn": known["arn"], "DNSName": known.get("dns_name")}
        try:
            found = listener(module, conn, lb["LoadBalancerArn"], port, missing_ok=True)
        except LoadBalancerGone:
            lb = None
    if lb is None:
        lb = reads.load_balancer(name) if reads is not None else load_balancer(module, conn, name)
        if lb is None:
            module.fail_json(msg="Load balancer %s not found in %s: check load_balancer_name and region" % (name, region))
        if reads is not None:
            found = next((item for item in reads.listeners(lb["LoadBalancerArn"]) if item.get("Port") == port), None)
        else:
            found = listener(module, conn, lb["LoadBalancerArn"], port)
    if found is None:
        module.fail_json(msg="Load balancer %s has no listener on port %s: check listener_port" % (name, port))

    rule_arn = None
    if rule_priority is None:
        forward = forward_of(found)
    else:
        rules = (reads if reads is not None else Reads(module, conn, region)).rules(found["ListenerArn"]) or []
        rule = next((item for item in rules if item.get("Priority") == str(rule_priority)), None)
        if rule is None:
            module.fail_json(msg="Listener %s:%s has no rule with priority %s: check rule_priority" % (name, port, rule_priority))
        rule_arn = rule["RuleArn"]
        forward = forward_of(rule)
    # A forwarded group's name is in its ARN; only the colour map's groups the listener does not forward to (and an
    # ARN of another shape) need a DescribeTargetGroups, which also says when a colour names no group.
    cached = getattr(reads, "cached_groups", lambda names=(), arns=(): None)
    name_of = dict((item["target_group_arn"], traffic.target_group_name(item["target_group_arn"])) for item in forward)
    unnamed = sorted(arn for arn, group_name in name_of.items() if group_name is None)
    groups = (cached(arns=unnamed) or target_groups(module, conn, arns=unnamed)) if unnamed else []
    name_of.update((group["TargetGroupArn"], group["TargetGroupName"]) for group in groups)
    unforwarded = sorted(set(colours.values()) - set(name_of.values())) if colours else []
    known_groups = dict((known or {}).get("target_groups") or {}) if known and reads is None else {}
    trusted = dict((known_groups[group_name], group_name) for group_name in unforwarded if known_groups.get(group_name))
    unforwarded = [group_name for group_name in unforwarded if group_name not in trusted.values()]
    if unforwarded:
        groups = cached(names=unforwarded) or target_groups(module, conn, names=unforwarded)
        name_of.update((group["TargetGroupArn"], group["TargetGroupName"]) for group in groups)
    name_of.update(trusted)
    for item in forward:
        item["target_group_name"] = name_of.get(item["target_group_arn"])

    colour_of = dict((group, colour) for colour, group in colours.items())
    health = {}
    for arn, group_name in sorted(name_of.items(), key=lambda pair: pair[1]):
        try:
            targets = target_health(module, conn, arn, missing_ok=arn in trusted)
        except TargetGroupGone:  # re-created under its name since the caller described it
            arn = target_groups(module, conn, names=[group_name])[0]["TargetGroupArn"]
            targets = target_health(module, conn, arn)
        health[group_name] = dict(traffic.summarise_target_health(targets), colour=colour_of.get(group_name), arn=arn, targets=targets)

    decision = traffic.active_colour(forward, colours)
    return {
        "region": region,
        "load_balancer_arn": lb["LoadBalancerArn"],
        "dns_name": lb.get("DNSName"),
        "listener_arn": found["ListenerArn"],
        "rule_arn": rule_arn,
        "forward": [dict(target_group_name=item["target_group_name"], target_group_arn=item["target_group_arn"], weight=item["weight"])
                    for item in forward],
        "active_colour": decision["active_colour"],
        "idle_colour": traffic.idle_colour(decision["active_colour"], colours),
        "weights": decision["weights"],
        "target_groups": health,
    }


def _same_forward(now, wanted):
    """Whether the actions AWS describes forward with the weights a modify call sets (what a switch changes)."""
    return traffic.forward_action(now) == traffic.forward_action(wanted)


def modify_listener(module, conn, arn, actions, **context):
    """Set a listener's default actions; returns the listener as AWS now describes it."""
    def applied():
        found = conn.describe_listeners(ListenerArns=[arn], aws_retry=True)["Listeners"]
        return {"Listeners": found} if found and _same_forward(found[0].get("DefaultActions"), actions) else None

    try:
        return apply(conn.modify_listener, dict(ListenerArn=arn, DefaultActions=actions), applied)["Listeners"][0]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not modify listener %s: check elasticloadbalancing:ModifyListener permission and that "
                             "the target groups are in the load balancer's VPC" % arn, **context)


def modify_rule(module, conn, arn, actions, **context):
    """Set a listener rule's actions (its conditions stay); returns the rule as AWS now describes it."""
    def applied():
        found = conn.describe_rules(RuleArns=[arn], aws_retry=True)["Rules"]
        return {"Rules": found} if found and _same_forward(found[0].get("Actions"), actions) else None

    try:
        return apply(conn.modify_rule, dict(RuleArn=arn, Actions=actions), applied)["Rules"][0]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not modify listener rule %s: check elasticloadbalancing:ModifyRule permission and that "
                             "the target groups are in the load balancer's VPC" % arn, **context)
