# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cutover: the endpoint Secret's state, the refusals, what a cutover and its rollback write, rollout completion."""

from __future__ import annotations

import json

from ansible_collections.cloudops.runbooks.plugins.module_utils import cutover

NOW = "2026-01-31T12:00:00Z"
ENDPOINT = {"address": "shop-db-dr.example", "port": 5432}


def secret(host="db.example", port="5432", record=None, **extra):
    data = dict({"DB_HOST": cutover.b64(host), "DB_PORT": cutover.b64(port)}, **extra)
    annotations = {}
    if record:
        annotations = {cutover.INSTANCE: record["instance"], cutover.AT: record["at"], cutover.PREVIOUS: json.dumps(record["previous"])}
    return {"metadata": {"name": "shop-db", "namespace": "shop", "annotations": annotations}, "data": data}


def state_of(obj):
    return cutover.secret_state(obj, "DB_HOST", "DB_PORT")


def test_the_state_of_a_secret_with_and_without_a_record():
    assert state_of(None) == {"exists": False, "current": {"host": None, "port": None}, "record": None}
    assert state_of(secret()) == {"exists": True, "current": {"host": "db.example", "port": "5432"}, "record": None}
    record = {"instance": "i-1", "at": NOW, "previous": {"existed": True, "host": "db.example", "port": "5432"}}
    assert state_of(secret("new", "1", record))["record"] == record
    assert state_of({"data": {"OTHER": "eA=="}})["current"] == {"host": None, "port": None}


def test_refusals_name_the_settings_and_the_way_back():
    where = "Secret shop/shop-db"
    missing = cutover.problems(state_of(None), where, False, "i-1", "cloudops_failover.app_db", "hint")
    assert missing == ["Secret shop/shop-db does not exist: the application must read its database endpoint from it "
                       "(cloudops_failover.app_db.secret_name/namespace), or set cloudops_failover.app_db.create_missing: true."]
    assert cutover.problems(state_of(None), where, True, "i-1", "s", "hint") == []
    cut = state_of(secret(record={"instance": "i-1", "at": NOW, "previous": {}}))
    assert cutover.problems(cut, where, False, "i-1", "s", "hint") == []  # the same cutover again
    assert cutover.problems(cut, where, False, "", "s", "hint") == []  # a rollback or a read
    other = cutover.problems(cut, where, False, "i-2", "s", "rollback.yml")
    assert other == ["Secret shop/shop-db is already cut over to i-1 (since %s): put it back first (rollback.yml)." % NOW]
    assert cutover.refusal(other).startswith("Cutover refused, nothing changed. Secret shop/shop-db is already")


def test_a_cutover_records_the_values_before_the_first_cutover_and_is_idempotent():
    before = state_of(secret())
    plan = cutover.cutover_plan(before, "i-1", ENDPOINT, NOW)
    assert plan["previous"] == {"existed": True, "host": "db.example", "port": "5432"} and plan["at"] == NOW
    assert (plan["host"], plan["port"]) == ("shop-db-dr.example", "5432")
    assert cutover.cutover_changes(before, plan, "i-1")
    patch = cutover.cutover_patch("DB_HOST", "DB_PORT", plan)
    assert patch["data"] == {"DB_HOST": cutover.b64("shop-db-dr.example"), "DB_PORT": cutover.b64("5432")}
    after = state_of(secret("shop-db-dr.example", "5432", {"instance": "i-1", "at": NOW, "previous": plan["previous"]}))
    again = cutover.cutover_plan(after, "i-1", ENDPOINT, "2026-02-01T00:00:00Z")
    assert again["at"] == NOW and again["previous"] == plan["previous"] and not cutover.cutover_changes(after, again, "i-1")
    assert cutover.cutover_changes(after, cutover.cutover_plan(after, "i-1", dict(ENDPOINT, port=6543), NOW), "i-1")
    created = cutover.cutover_secret("shop-db", "shop", "DB_HOST", "DB_PORT", cutover.cutover_plan(state_of(None), "i-1", ENDPOINT, NOW))
    assert created["metadata"]["annotations"][cutover.PREVIOUS] == json.dumps({"existed": False, "host": None, "port": None})
    result = cutover.cutover_result("shop/shop-db", "i-1", plan, True, ["shop-blue"])
    assert result == {"secret": "shop/shop-db", "instance": "i-1", "at": NOW, "previous": plan["previous"],
                      "current": {"host": "shop-db-dr.example", "port": "5432"}, "changed": True, "restarted": ["shop-blue"]}
    assert cutover.cutover_result("s", "i-1", plan, False, ["shop-blue"])["restarted"] == []


def test_a_rollback_writes_the_previous_values_back_or_deletes_what_the_cutover_created():
    patch = cutover.rollback_patch("DB_HOST", "DB_PORT", {"existed": True, "host": "db.example", "port": None})
    assert patch == {"metadata": {"annotations": {cutover.INSTANCE: None, cutover.AT: None, cutover.PREVIOUS: None}},
                     "data": {"DB_HOST": cutover.b64("db.example"), "DB_PORT": None}}
    assert cutover.rollback_deletes({"previous": {"existed": False}}) and not cutover.rollback_deletes({"previous": {}})
    record = {"instance": "i-1", "at": NOW, "previous": {"existed": True, "host": "db.example", "port": "5432"}}
    state = state_of(secret("new", "1", record))
    result = cutover.rollback_result("shop/shop-db", state, ["shop-blue"])
    assert result == {"secret": "shop/shop-db", "rolled_back": True, "instance": "i-1", "at": NOW, "previous": record["previous"],
                      "replaced": {"host": "new", "port": "1"}, "changed": True, "restarted": ["shop-blue"]}
    nothing = cutover.rollback_result("shop/shop-db", state_of(secret()), ["shop-blue"])
    assert nothing["rolled_back"] is False and nothing["changed"] is False and nothing["restarted"] == [] and nothing["replaced"] is None


def test_a_rollout_is_complete_when_the_new_template_runs_everywhere():
    def deployment(generation=2, observed=2, wanted=2, **status):
        return {"metadata": {"generation": generation}, "spec": {"replicas": wanted},
                "status": dict({"observedGeneration": observed, "replicas": wanted, "updatedReplicas": wanted,
                                "readyReplicas": wanted, "availableReplicas": wanted}, **status)}
    assert cutover.rollout_complete(deployment())
    assert not cutover.rollout_complete(deployment(observed=1))  # the controller has not seen the restart yet
    assert not cutover.rollout_complete(deployment(updatedReplicas=1))
    assert not cutover.rollout_complete(deployment(replicas=3))  # an old pod still there
    assert not cutover.rollout_complete(deployment(unavailableReplicas=1))
    assert cutover.rollout_complete({"metadata": {"generation": 1}, "spec": {"replicas": 0}, "status": {"observedGeneration": 1}})
    assert not cutover.rollout_complete(None)
    assert cutover.rollout_progress("shop-blue", deployment(updatedReplicas=1, readyReplicas=0)) == "shop-blue: 1 of 2 updated, 0 ready"


def test_step_summaries():
    plan = cutover.cutover_plan(state_of(None), "i-1", ENDPOINT, NOW)
    summary = cutover.step_summary("cutover", cutover.cutover_result("shop/shop-db", "i-1", plan, True, ["a"]), restart_seconds=2.5)
    assert summary == {"detail": "Secret shop/shop-db -> shop-db-dr.example:5432 (changed); restarted a",
                       "measures": {"restarted": 1, "restart_seconds": 2.5}, "gates": []}
    record = {"instance": "i-1", "at": NOW, "previous": {"existed": False, "host": None, "port": None}}
    deleted = cutover.rollback_result("shop/shop-db", state_of(secret(record=record)), [])
    assert cutover.step_summary("rollback", deleted)["detail"] == "Secret shop/shop-db (created by the cutover) deleted"
    nothing = cutover.rollback_result("shop/shop-db", state_of(secret()), [])
    assert cutover.step_summary("rollback", nothing)["detail"] == "Secret shop/shop-db: no cutover to roll back"
    read = cutover.step_summary("read", dict(state_of(None), secret="shop/shop-db"))
    assert read["detail"] == "Secret shop/shop-db does not exist"


def test_settings_are_written_recorded_and_put_back_with_the_endpoint():
    keys = ["REDIS_HOST", "ASSETS_BUCKET"]
    before = cutover.secret_state(secret(REDIS_HOST=cutover.b64("cache-reader.dr")), "DB_HOST", "DB_PORT", keys)
    assert before["current"]["settings"] == {"REDIS_HOST": "cache-reader.dr", "ASSETS_BUCKET": None}
    settings = {"REDIS_HOST": "cache-dr.primary", "ASSETS_BUCKET": "assets-usw2"}
    plan = cutover.cutover_plan(before, "i-1", ENDPOINT, NOW, settings)
    assert plan["previous"]["settings"] == {"REDIS_HOST": "cache-reader.dr", "ASSETS_BUCKET": None}
    assert cutover.cutover_patch("DB_HOST", "DB_PORT", plan)["data"] == {
        "DB_HOST": cutover.b64("shop-db-dr.example"), "DB_PORT": cutover.b64("5432"),
        "REDIS_HOST": cutover.b64("cache-dr.primary"), "ASSETS_BUCKET": cutover.b64("assets-usw2")}
    record = {"instance": "i-1", "at": NOW, "previous": plan["previous"]}
    data = {"REDIS_HOST": cutover.b64("cache-dr.primary"), "ASSETS_BUCKET": cutover.b64("assets-usw2")}
    after = cutover.secret_state(secret("shop-db-dr.example", "5432", record, **data), "DB_HOST", "DB_PORT", keys)
    again = cutover.cutover_plan(after, "i-1", ENDPOINT, "2026-02-01T00:00:00Z", settings)
    assert again["previous"] == plan["previous"] and not cutover.cutover_changes(after, again, "i-1")
    moved = cutover.cutover_plan(after, "i-1", ENDPOINT, NOW, dict(settings, ASSETS_BUCKET="other"))
    assert cutover.cutover_changes(after, moved, "i-1")
    # The rollback puts every recorded key back: a key the Secret did not have is removed.
    patch = cutover.rollback_patch("DB_HOST", "DB_PORT", plan["previous"])
    assert patch["data"] == {"DB_HOST": cutover.b64("db.example"), "DB_PORT": cutover.b64("5432"),
                             "REDIS_HOST": cutover.b64("cache-reader.dr"), "ASSETS_BUCKET": None}
    result = cutover.cutover_result("shop/shop-db", "i-1", plan, True, [])
    assert result["current"]["settings"] == settings
    assert cutover.step_summary("cutover", result)["detail"] == (
        "Secret shop/shop-db -> shop-db-dr.example:5432, ASSETS_BUCKET=assets-usw2, REDIS_HOST=cache-dr.primary (changed)")
