# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""deploy_traffic_step with `wave`: several services' step in one process, each switched, observed and gated side by
side; a service that does not pass fails the step with every service's restore list; the records of the services
whose schedule ends here are written only when every service of the step passed."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.modules import deploy_traffic_step as step_module


class Ended(Exception):
    def __init__(self, failed, result):
        super(Ended, self).__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule(object):
    region = "us-east-1"
    _diff = False

    def fail_json(self, **result):
        raise Ended(True, result)

    def exit_json(self, **result):
        raise Ended(False, result)


def entry(service, percent, index=0, count=1, gates=None):
    switch = {"load_balancer_name": "shop-alb", "port": 80, "rule_priority": None, "region": "us-east-1",
              "forward": {"%s-blue" % service: 100 - percent, "%s-green" % service: percent}}
    return {"service": service, "index": index, "count": count, "pause_seconds": 0, "gates": gates or [],
            "health_groups": [{"side": "primary", "region": "us-east-1", "name": "%s-green" % service}],
            "step": {"percent": percent, "sides": ["primary"], "switches": [switch]}}


@pytest.fixture
def fakes(monkeypatch):
    calls = {"switch": [], "records": []}

    def switch(module, switches, require_healthy, force, check_mode, diff, region, shared=None):
        calls["switch"].append(switches[0]["forward"])
        return {"changed": True, "switches": [dict(switches[0], before={"old": 1}, after=switches[0]["forward"], changed=True)],
                "restore": [{"forward": {"old": 1}, "for": list(switches[0]["forward"])[0]}]}

    def gate_read(worker, gate):
        return lambda: {"passed": gate["name"] != "bad", "value": 1.0, "threshold": 5.0, "comparison": ">", "reason": "r"}

    def health_read(worker, group, timeout, elb=None):
        return lambda: {"target_groups": [{"name": group["name"], "healthy": 2, "registered": 2, "ready": True, "states": {}}]}

    def write_records(module, worker, entries, check_mode):
        calls["records"].extend(entries)
        return dict(((e["side"], "record", i), {"service": e["service"], "side": e["side"], "changed": True})
                    for i, e in enumerate(entries)), {}

    monkeypatch.setattr(step_module.traffic_switch, "with_defaults", lambda switches: switches)
    monkeypatch.setattr(step_module.traffic_switch, "switch", switch)
    monkeypatch.setattr(step_module, "gate_read", gate_read)
    monkeypatch.setattr(step_module, "health_read", health_read)
    monkeypatch.setattr(step_module, "write_records", write_records)
    return calls


def params(wave, finish=None):
    return {"wave": wave, "require_healthy": True, "health_timeout": 60, "finish": finish}


def run(wave, finish=None, check_mode=False):
    with pytest.raises(Ended) as ended:
        step_module.run_wave(FakeModule(), params(wave, finish), check_mode)
    return ended.value


def test_a_wave_step_moves_every_service_and_records_those_that_end_here(fakes, monkeypatch):
    todo = [{"service": "web", "side": "primary", "release": "web-green"}]
    finish = {"todo": todo, "helm_deploy_results": [], "started_at": "t"}
    # The records' contents are module_utils/deploy.py's (tested there).
    monkeypatch.setattr(step_module.deploy, "side_reports", lambda *a, **k: [])
    monkeypatch.setattr(step_module.deploy, "deploy_records", lambda mine, *a: [dict(r, record={}) for r in mine])
    ended = run([entry("web", 100), entry("catalog", 10, count=3, gates=[{"side": "primary", "name": "ok"}])], finish)
    assert not ended.failed
    result = ended.result
    assert [(s["service"], s["passed"], s["last"]) for s in result["services"]] == [("web", True, True), ("catalog", True, False)]
    assert len(fakes["switch"]) == 2 and result["changed"] is True
    assert [e["service"] for e in fakes["records"]] == ["web"]  # catalog's schedule goes on
    assert result["step_summary"]["measures"]["services"] == 2


def test_a_failed_gate_fails_the_step_with_every_restore_and_no_record(fakes, monkeypatch):
    monkeypatch.setattr(step_module.deploy, "side_reports", lambda *a, **k: [])
    finish = {"todo": [{"service": "web", "side": "primary", "release": "web-green"}], "helm_deploy_results": [], "started_at": "t"}
    ended = run([entry("web", 100), entry("catalog", 10, count=3, gates=[{"side": "primary", "name": "bad"}])], finish)
    assert ended.failed
    web, catalog = ended.result["services"]
    assert (web["passed"], catalog["passed"]) == (True, False)
    assert web["restore"] and catalog["restore"]  # both moved: the rescue puts both back
    assert ended.result["msg"].startswith("Traffic step failed: catalog: Gate failed after step 1 of 3")
    assert fakes["records"] == []


def test_a_switch_that_fails_keeps_what_it_changed(fakes, monkeypatch):
    def broken(module, switches, *args, **kwargs):
        raise threads.WorkerFailed("modify_rule: throttled", {"changed": True, "restore": [{"forward": {"old": 1}}]})
    monkeypatch.setattr(step_module.traffic_switch, "switch", broken)
    ended = run([entry("web", 100)])
    assert ended.failed
    [web] = ended.result["services"]
    assert (web["passed"], web["failure"], web["restore"]) == (False, "modify_rule: throttled", [{"forward": {"old": 1}}])


def test_check_mode_reads_no_gate(fakes, monkeypatch):
    monkeypatch.setattr(step_module, "gate_read", lambda worker, gate: pytest.fail("a gate read in check mode"))
    ended = run([entry("catalog", 10, count=3, gates=[{"side": "primary", "name": "bad"}])], check_mode=True)
    assert not ended.failed and ended.result["services"][0]["step"]["checked"] is False
