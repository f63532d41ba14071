# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Target groups read until their targets are healthy (alb_target_health, and the deploy's coarse modules): the
names and ARNs resolved first (one describe per region, so a typo fails before any waiting), then the health of every
group polled with module_utils/waiting.py; the readiness decisions are module_utils/traffic.py's."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def wait_ready(module, wanted, region, min_healthy=None, wait=True, timeout=300, fail_on_timeout=True, shared=None):
    """alb_target_health's result for the target groups `wanted` (names in `region`, or ARNs):
    {changed, target_groups, all_ready, elapsed_seconds, polls, step_summary}. Fails the module on a timeout when
    `wait` and `fail_on_timeout`. shared: reads_of(region) giving Reads shared with other threads of the module run
    (_aws/shared.SharedReads: the groups described once for all of them); the health is polled here either way."""
    connections, reads = {}, {}

    def reads_of(where):
        if where not in reads:
            reads[where] = shared(where) if shared is not None else elbv2.Reads(module, client(module, "elbv2", region=where), where)
            connections[where] = reads[where].conn
        return reads[where]

    regions = [traffic.region_of_arn(group) if traffic.is_arn(group) else region for group in wanted]
    for where in sorted(set(regions), key=str):
        mine = [group for group, at in zip(wanted, regions) if at == where]
        reads_of(where).target_groups(names=[g for g in mine if not traffic.is_arn(g)], arns=[g for g in mine if traffic.is_arn(g)])
    groups = []
    for group, where in zip(wanted, regions):
        arn = reads_of(where).group_arn(group)
        groups.append({"region": where, "arn": arn, "name": reads_of(where).group_names().get(arn, group)})

    def probe():
        found = []
        for group in groups:
            targets = elbv2.target_health(module, connections[group["region"]], group["arn"])
            readiness = traffic.target_group_readiness(targets, min_healthy)
            found.append(dict(readiness, name=group["name"], arn=group["arn"], targets=targets))
        return found

    outcome = waiting.poll_until(probe, lambda found: all(group["ready"] for group in found), timeout if wait else 0)
    result = dict(changed=False, target_groups=outcome["result"], all_ready=outcome["done"],
                  elapsed_seconds=outcome["elapsed"], polls=outcome["polls"])
    result["step_summary"] = traffic.target_health_step_summary(result)
    if not outcome["done"] and wait and fail_on_timeout:
        waiting_for = [traffic.readiness_text(group["name"], group) for group in outcome["result"] if not group["ready"]]
        module.fail_json(msg="Target groups not ready after %s s (%s polls): %s. Check the targets' health checks, or raise timeout."
                         % (timeout, outcome["polls"], "; ".join(waiting_for)), **result)
    return result
