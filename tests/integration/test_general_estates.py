# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox seeds an estate that is not the shop's shape (issue 17 item 3): inventories/sandbox-50-services, 50
services each routed by its own listener rule and target groups, the inventory's own Route 53 set identifiers, alarms
in both regions, its own database schema file, kubeconfig contexts named after the clusters; status and a deploy
run on it. (The one-region estate: tests/integration/test_one_region.py.)"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import yaml

from conftest import BIN, REPO, ansible_env, ok, read_env_file, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-50-services"
PRIMARY, DR = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    state = tmp_path_factory.mktemp("sandbox-50-services")
    t0 = time.monotonic()
    up = sandbox_cli(state, "up", "--inventory", INVENTORY, check=False)
    if up.returncode != 0:
        sandbox_cli(state, "down", check=False)
        pytest.fail("python -m sandbox up --inventory %s failed:\n%s\n%s" % (INVENTORY, up.stdout[-2000:], up.stderr[-4000:]))
    print("\n50-service sandbox up in %.1f s" % (time.monotonic() - t0))
    yield {"state": state, "env": read_env_file(state / "env"), "info": json.loads((state / "sandbox.json").read_text())}
    sandbox_cli(state, "down", check=False)


def playbook(estate, collections_path, tmp_path, name, **extra):
    report = tmp_path / ("%s.json" % name)
    key = {"status": "status_report_path", "deploy": "deploy_report_path"}[name]
    proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/%s.yml" % name, "-i", INVENTORY,
                           "-e", json.dumps(dict(extra, **{key: str(report)}))], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env=ansible_env(collections_path, estate["env"]))
    ok(proc)
    return json.loads(report.read_text())


def test_fifty_services_each_with_its_rule_and_target_groups(estate):
    elb = sandbox_client(estate, "elbv2", PRIMARY)
    lb = elb.describe_load_balancers(Names=["shop-primary-alb"])["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    rules = [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    paths = sorted(r["Conditions"][0]["PathPatternConfig"]["Values"][0] for r in rules)
    assert len(rules) == 49 and paths[0] == "/svc01" and paths[-1] == "/svc49"  # the default paths
    groups = [g for page in elb.get_paginator("describe_target_groups").paginate() for g in page["TargetGroups"]]
    assert len({g["TargetGroupName"] for g in groups if "-svc" in g["TargetGroupName"]}) == 98  # blue and green
    assert len(estate["info"]["helm_releases"]) == 102  # web and the estate's on both sides, 49 x 2 on the primary


def test_the_inventory_s_own_set_identifiers_alarms_schema_and_contexts(estate):
    r53 = sandbox_client(estate, "route53", PRIMARY)
    zone = estate["info"]["aws"]["route53"]["zone_id"]
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r.get("Failover")]
    assert dict((r["Failover"], r["SetIdentifier"]) for r in records) == {"PRIMARY": PRIMARY, "SECONDARY": DR}
    for region, names in ((PRIMARY, ["shop-primary-5xx"]), (DR, ["shop-db-dr-lag", "shop-dr-5xx"])):
        alarms = sandbox_client(estate, "cloudwatch", region).describe_alarms()["MetricAlarms"]
        assert sorted(a["AlarmName"] for a in alarms) == names and {a["StateValue"] for a in alarms} == {"OK"}
    url = subprocess.run([str(BIN / "python"), "-m", "sandbox", "db", "url", "shop-db", "--region", PRIMARY, "--state-dir",
                          str(estate["state"])], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    import psycopg
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM services").fetchone()[0] == 49  # db/schema.sql, not the shop's
    # The inventory names its contexts apart from its clusters (cloudops_eks.<side>.context): the kubeconfigs use them.
    for side, cluster, context in (("primary", "shop-primary", "fifty-primary"), ("dr", "shop-dr", "fifty-dr")):
        kubeconfig = yaml.safe_load((estate["state"] / ("kubeconfig-%s.yaml" % side)).read_text())
        assert kubeconfig["current-context"] == context and kubeconfig["contexts"][0]["name"] == context
        assert kubeconfig["clusters"][0]["name"] == cluster


def test_status_and_a_deploy_of_the_fiftieth_service(estate, collections_path, tmp_path):
    status = playbook(estate, collections_path, tmp_path, "status")
    assert status["dns"]["primary"] == PRIMARY and status["dns"]["serving"] == "PRIMARY"
    report = playbook(estate, collections_path, tmp_path, "deploy", deploy_service="svc49", deploy_version="1.1.0")
    assert report["services"][0]["outcome"] == "deployed"
    rule = estate["info"]["aws"]["services"]["svc49"]["primary"]
    elb = sandbox_client(estate, "elbv2", PRIMARY)
    forward = elb.describe_rules(RuleArns=[rule["rule_arn"]])["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    weights = dict((g["TargetGroupArn"], g["Weight"]) for g in forward)
    assert weights.get(rule["target_groups"]["green"]) and not weights.get(rule["target_groups"]["blue"])
