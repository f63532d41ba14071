# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""alb_traffic_info on a listener rule (the path-routed catalog service) as well as on the default action."""

from __future__ import annotations

import json

PLAYBOOK = "tests/integration/playbooks/alb_traffic_info.yml"


def read(run_playbook, sandbox, tmp_path, **extra):
    out = tmp_path / "traffic.json"
    proc, _ = run_playbook(PLAYBOOK, env=sandbox["env"], extra_vars=dict(extra, traffic_result_path=str(out)))
    return proc, (json.loads(out.read_text()) if proc.returncode == 0 else None)


def test_rule_priority_reads_the_rules_forward(sandbox, run_playbook, tmp_path):
    proc, rule = read(run_playbook, sandbox, tmp_path, traffic_rule_priority=10, traffic_colours={
        "blue": "shop-primary-catalog-blue", "green": "shop-primary-catalog-green"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (rule["active_colour"], rule["idle_colour"]) == ("blue", "green")
    assert ":listener-rule/" in rule["rule_arn"]
    assert [f["target_group_name"] for f in rule["forward"]] == ["shop-primary-catalog-blue"]

    proc, default = read(run_playbook, sandbox, tmp_path)
    assert default["rule_arn"] is None
    assert [f["target_group_name"] for f in default["forward"]] == ["shop-primary-blue"]


def test_missing_rule_priority_names_the_fix(sandbox, run_playbook, tmp_path):
    proc, _ = read(run_playbook, sandbox, tmp_path, traffic_rule_priority=11)
    assert proc.returncode != 0
    assert "has no rule with priority 11: check rule_priority" in " ".join(proc.stdout.split())
