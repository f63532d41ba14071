# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking

NOW = 1769860800  # 2026-01-31T12:00:00Z
HOUR = 3600

ME = {"host": "ctl-1", "boot_id": "boot-a", "pid": 4242, "pid_started": 900, "runbook": "deploy",
      "run_id": "deploy-prod-20260131T120000", "user": "alice"}


def other(**changes):
    """Another run's identity: by default a live run on another controller host."""
    run = dict(ME, host="ctl-2", pid=77, pid_started=50, runbook="backup", run_id="backup-prod-20260131T115500", user="bob")
    run.update(changes)
    return run


def lock_of(run, taken=NOW - 300, ttl=HOUR, token="t-1"):
    return locking.new_record("prod", run, taken, ttl, token)


def alive(pid, started):
    return True


def dead(pid, started):
    return False


def never_asked(pid, started):
    raise AssertionError("process_alive must not be asked about pid %s" % pid)


# ------------------------------------------------------------------------------------------------------- expiry


def test_a_lock_expires_ttl_seconds_after_it_was_taken_or_renewed():
    record = lock_of(ME, taken=NOW, ttl=HOUR)
    assert record["expires_epoch"] == NOW + HOUR and record["expires_at"] == "2026-01-31T13:00:00Z"
    assert record["started_at"] == "2026-01-31T12:00:00Z" and record["ttl_seconds"] == HOUR
    assert not locking.is_expired(record, NOW + HOUR - 1)
    assert locking.is_expired(record, NOW + HOUR)


@pytest.mark.parametrize("ttl", [0, -60])
def test_a_ttl_must_be_positive(ttl):
    with pytest.raises(locking.LockError, match="ttl_seconds must be a positive number of seconds, got %d" % ttl):
        locking.expires_at(NOW, ttl)


def test_durations_read_naturally():
    assert [locking.duration(s) for s in (-5, 42, 119, 120, 7199, 7200, 3 * HOUR + 5 * 60)] == \
        ["0 s", "42 s", "119 s", "2 min", "119 min", "2 h 0 min", "3 h 5 min"]


# ------------------------------------------------------------------------------------------------- holder state


def test_the_same_run_is_recognised_by_host_boot_and_process():
    mine = lock_of(ME)
    assert locking.holder_state(mine, ME, NOW, never_asked) == locking.MINE
    # Same pid on the same host but another start time: a reused pid, another run.
    assert locking.holder_state(mine, dict(ME, pid_started=901), NOW, alive) == locking.HELD
    assert locking.holder_state(mine, dict(ME, pid_started=901), NOW, dead) == locking.DEAD


def test_without_a_known_process_a_run_is_recognised_by_its_run_id():
    me = dict(ME, pid=None, pid_started=None)
    assert locking.holder_state(lock_of(me), me, NOW, never_asked) == locking.MINE
    assert locking.holder_state(lock_of(me), dict(me, run_id="deploy-prod-other"), NOW, never_asked) == locking.HELD


def test_an_expired_lock_is_stale_without_asking_about_processes():
    expired = lock_of(other(), taken=NOW - 2 * HOUR, ttl=HOUR)
    assert locking.holder_state(expired, ME, NOW, never_asked) == locking.EXPIRED


def test_processes_are_checked_only_on_the_same_host():
    elsewhere = lock_of(other())
    assert locking.holder_state(elsewhere, ME, NOW, never_asked) == locking.HELD
    here = lock_of(other(host="ctl-1"))
    assert locking.holder_state(here, ME, NOW, alive) == locking.HELD
    assert locking.holder_state(here, ME, NOW, dead) == locking.DEAD


def test_a_reboot_of_the_host_ends_its_runs():
    before_reboot = lock_of(other(host="ctl-1", boot_id="boot-old"))
    assert locking.holder_state(before_reboot, ME, NOW, never_asked) == locking.DEAD


def test_a_holder_without_a_process_on_this_host_cannot_be_checked():
    adhoc = lock_of(other(host="ctl-1", pid=None, pid_started=None))
    assert locking.holder_state(adhoc, ME, NOW, never_asked) == locking.HELD
    assert locking.describe(adhoc, NOW).startswith("runbook backup, run backup-prod-20260131T115500, user bob, host ctl-1, started")


# -------------------------------------------------------------------------------------------------------- acquire


def test_a_free_lock_is_acquired_on_the_condition_that_it_is_still_absent():
    decision = locking.decide_acquire(None, ME, "prod", NOW, HOUR, "t-new", never_asked)
    assert decision["action"] == locking.ACQUIRE and decision["changed"] and decision["condition_token"] is None
    record = decision["record"]
    assert record["lock_id"] == "prod" and record["token"] == "t-new"
    assert {k: record[k] for k in ("runbook", "run_id", "user", "host", "pid")} == \
        {"runbook": "deploy", "run_id": "deploy-prod-20260131T120000", "user": "alice", "host": "ctl-1", "pid": 4242}
    assert decision["message"] == "acquired the lock of prod until 2026-01-31T13:00:00Z"


def test_renewing_an_own_lock_keeps_its_token_and_start_and_is_no_change():
    mine = lock_of(ME, taken=NOW - 600)
    decision = locking.decide_acquire(mine, ME, "prod", NOW, HOUR, "t-new", never_asked)
    assert decision["action"] == locking.RENEW and not decision["changed"]
    assert decision["condition_token"] == "t-1" and decision["record"]["token"] == "t-1"
    assert decision["record"]["started_epoch"] == NOW - 600 and decision["record"]["expires_epoch"] == NOW + HOUR


def test_renewing_with_another_run_id_is_a_change():
    mine = lock_of(ME)
    resumed = dict(ME, run_id="failover-prod-20260130T230000")
    decision = locking.decide_acquire(mine, resumed, "prod", NOW, HOUR, "t-new", never_asked)
    assert decision["action"] == locking.RENEW and decision["changed"]
    assert decision["record"]["run_id"] == "failover-prod-20260130T230000"


def test_a_live_lock_of_another_run_is_refused_and_nothing_is_written():
    decision = locking.decide_acquire(lock_of(other()), ME, "prod", NOW, HOUR, "t-new", alive)
    assert decision == {"action": locking.REFUSE, "changed": False, "record": None, "condition_token": None,
                        "state": locking.HELD, "reason": "held", "message": None}


def test_an_expired_lock_is_taken_over_on_the_condition_that_nobody_else_took_it_first():
    expired = lock_of(other(), taken=NOW - HOUR - 120, ttl=HOUR)
    decision = locking.decide_acquire(expired, ME, "prod", NOW, HOUR, "t-new", never_asked)
    assert decision["action"] == locking.TAKE_OVER and decision["changed"] and decision["state"] == locking.EXPIRED
    assert decision["condition_token"] == "t-1" and decision["record"]["token"] == "t-new"
    assert decision["record"]["started_epoch"] == NOW
    assert decision["message"] == ("took over the lock of prod held by backup run backup-prod-20260131T115500 (user bob, "
                                   "host ctl-2, pid 77): it expired at 2026-01-31T11:58:00Z (2 min ago)")


def test_the_lock_of_a_killed_run_on_this_host_is_taken_over_at_once():
    killed = lock_of(other(host="ctl-1"), taken=NOW - 60)
    decision = locking.decide_acquire(killed, ME, "prod", NOW, HOUR, "t-new", dead)
    assert decision["action"] == locking.TAKE_OVER and decision["state"] == locking.DEAD
    assert decision["message"].endswith("(user bob, host ctl-1, pid 77): its ansible-playbook process is no longer running on "
                                        "this host (a killed or crashed run)")


# -------------------------------------------------------------------------------------------------------- release


def test_releasing_an_absent_lock_changes_nothing():
    assert locking.decide_release(None, ME, NOW, False, False, never_asked)["action"] == locking.NOTHING
    assert not locking.decide_release(None, ME, NOW, True, True, never_asked)["changed"]


def test_the_holder_releases_its_lock_on_the_condition_that_it_is_still_its_own():
    decision = locking.decide_release(lock_of(ME), ME, NOW, False, True, never_asked)
    assert decision["action"] == locking.RELEASE and decision["changed"] and decision["condition_token"] == "t-1"


def test_holder_only_leaves_any_other_lock_even_a_stale_one():
    for lock in (lock_of(other()), lock_of(other(), taken=NOW - 2 * HOUR)):
        decision = locking.decide_release(lock, ME, NOW, True, True, alive)
        assert decision["action"] == locking.LEAVE and not decision["changed"]
        assert decision["message"].startswith("the lock is no longer this run's (runbook backup, run backup-prod-20260131T115500")


def test_a_stale_lock_is_released_without_force():
    expired = lock_of(other(), taken=NOW - 2 * HOUR)
    assert locking.decide_release(expired, ME, NOW, False, False, never_asked)["action"] == locking.RELEASE
    killed = lock_of(other(host="ctl-1"))
    decision = locking.decide_release(killed, ME, NOW, False, False, dead)
    assert decision["action"] == locking.RELEASE and decision["message"].startswith("released the lock of prod held by backup run")


def test_a_live_lock_of_another_run_is_released_only_by_force():
    live = lock_of(other())
    assert locking.decide_release(live, ME, NOW, False, False, alive)["action"] == locking.REFUSE
    decision = locking.decide_release(live, ME, NOW, True, False, alive)
    assert decision["action"] == locking.RELEASE and decision["condition_token"] == "t-1"
    assert decision["message"].startswith("released by force the lock held by runbook backup")


# ------------------------------------------------------------------------------------------------------- messages


def test_a_refusal_names_the_holder_and_the_exact_command_that_releases_it():
    command = locking.release_command("inventories/prod", "prod", True)
    assert command == "ansible-playbook playbooks/release_lock.yml -i inventories/prod -e lock_force=true -e confirm_release_lock=prod"
    message = locking.refusal_message(lock_of(other(), taken=NOW - 300), "prod", NOW, command, runbook="deploy")
    assert message == (
        "deploy refused, nothing changed: another runbook holds the lock of environment prod (runbook backup, run "
        "backup-prod-20260131T115500, user bob, host ctl-2 (pid 77), started 2026-01-31T11:55:00Z, expires "
        "2026-01-31T12:55:00Z (in 55 min)). Wait for it to finish, or, if that run is gone (the lock expires by itself "
        "then), release the lock: " + command)


def test_a_refused_release_says_how_to_force_it():
    command = locking.release_command(None, "dev", False)
    assert command == "ansible-playbook playbooks/release_lock.yml -i INVENTORY -e lock_force=true"
    message = locking.release_refusal_message(lock_of(other()), "dev", NOW, command)
    assert message.startswith("Lock of environment dev not released, nothing changed: it is held by a running runbook (runbook backup,")
    assert message.endswith("If that run is gone, release it by force: " + command)


# ------------------------------------------------------------------------------------------------ holder process


def test_stat_fields_are_counted_after_the_command_name():
    # The command name may hold spaces and parentheses; ppid is field 4, start time field 22.
    text = "4242 (ansible-playbook (x) y) S 4100 4242 4100 0 -1 4194560 " + " ".join(["0"] * 12) + " 98765 1 2 3\n"
    assert locking.parse_stat(text) == (4100, 98765)


PLAYBOOK = ["/venv/bin/python3", "/venv/bin/ansible-playbook", "playbooks/deploy.yml", "-i", "inventories/prod"]


def test_the_holder_process_is_the_outermost_ansible_playbook_above_the_module():
    ancestors = [
        (900, ["/bin/sh", "-c", "python3 AnsiballZ_runbook_lock.py && sleep 0"]),
        (880, PLAYBOOK),                          # the task's worker, forked with the same command line
        (850, PLAYBOOK),                          # the run itself
        (800, ["bash"]),
        (700, ["ansible-playbook", "outer.yml"]),  # an unrelated run further up (a playbook that runs a playbook)
    ]
    assert locking.playbook_process(ancestors) == 850


def test_ansible_runner_and_direct_commands_are_recognised_and_other_processes_are_not():
    assert locking.is_playbook_command(["ansible-playbook", "site.yml"])
    assert locking.is_playbook_command(["/usr/bin/python3.11", "/usr/local/bin/ansible-playbook", "-i", "inventory"])
    assert not locking.is_playbook_command(["/usr/bin/python3", "/usr/bin/ansible", "localhost", "-m", "ping"])
    assert not locking.is_playbook_command(["/bin/sh", "-c", "ansible-playbook x.yml"])
    assert locking.playbook_process([(10, ["/bin/sh"]), (5, ["/usr/bin/ansible", "localhost"])]) is None


# -- heartbeat -------------------------------------------------------------------------------------------------------------
def test_a_record_names_its_heartbeat_and_may_be_purged_only_without_a_mark():
    record = locking.new_record("prod", ME, NOW, HOUR, "t-1", heartbeat_id="hb-1")
    assert (record["heartbeat_id"], record["heartbeat_at"]) == ("hb-1", "2026-01-31T12:00:00Z")
    assert record["purge_epoch"] == NOW + HOUR + locking.PURGE_AFTER
    assert locking.heartbeat_interval(20) == 20 / 3.0 and locking.heartbeat_interval(2) == 1.0


# -- unfinished runs -------------------------------------------------------------------------------------------------------
DRILL = dict(ME, runbook="failover_drill", run_id="drill-prod-20260131T110000")
RESUME = "ansible-playbook playbooks/failover_drill.yml -i inventories/prod -e confirm_drill=prod"


def drill_marked(run=None, taken=NOW - 300):
    run = DRILL if run is None else run
    record = lock_of(run, taken=taken)
    return locking.marked(record, run, taken, RESUME)


def test_a_mark_names_the_run_since_when_how_to_resume_it_and_who_may_and_the_ttl_never_purges_it():
    lock = drill_marked()
    assert lock["unfinished"] == {"runbook": "failover_drill", "run_id": "drill-prod-20260131T110000", "since": "2026-01-31T11:55:00Z",
                                  "resume": RESUME, "resumed_by": ["failover_drill", "failover"]}
    assert "purge_epoch" not in lock


def test_the_mark_is_one_acquire_of_the_holder_and_a_resumed_run_keeps_its_since():
    lock = lock_of(DRILL)
    decision = locking.decide_acquire(lock, DRILL, "prod", NOW, HOUR, "t-new", never_asked, heartbeat_id="hb-2",
                                      mark={"resume": RESUME})
    assert decision["action"] == locking.RENEW and decision["changed"] and decision["condition_token"] == "t-1"
    assert decision["record"]["unfinished"]["since"] == "2026-01-31T12:00:00Z" and decision["record"]["heartbeat_id"] == "hb-2"
    assert decision["message"].endswith("and marked run drill-prod-20260131T110000 unfinished until it completes")
    again = locking.decide_acquire(decision["record"], DRILL, "prod", NOW + 60, HOUR, "t-new", never_asked, mark={"resume": RESUME})
    assert again["record"]["unfinished"]["since"] == "2026-01-31T12:00:00Z" and not again["changed"]


def test_every_other_runbook_is_refused_while_a_run_is_unfinished_whoever_holds_the_lock():
    killed = drill_marked(dict(DRILL, host="ctl-2"))
    for lock, process in ((killed, alive), (dict(killed, expires_epoch=NOW - 1), never_asked),
                          (locking.mark_only(killed, "t-2"), never_asked)):
        decision = locking.decide_acquire(lock, ME, "prod", NOW, HOUR, "t-new", process)
        assert (decision["action"], decision["reason"], decision["record"]) == (locking.REFUSE, "unfinished", None)


def test_the_same_runbook_resumes_it_and_a_failover_supersedes_a_drill_keeping_the_mark_until_it_marks_its_own():
    killed = drill_marked()
    dead = locking.decide_acquire(killed, dict(DRILL, pid=5000, pid_started=1), "prod", NOW, HOUR, "t-new", lambda pid, started: False)
    assert dead["action"] == locking.TAKE_OVER and dead["record"]["unfinished"] == killed["unfinished"]
    assert "(resuming the unfinished failover_drill run drill-prod-20260131T110000)" in dead["message"]

    failover = dict(ME, runbook="failover", run_id="failover-prod-20260131T120000", pid=5001)
    released = locking.mark_only(killed, "t-2")
    taken = locking.decide_acquire(released, failover, "prod", NOW, HOUR, "t-new", never_asked)
    assert taken["action"] == locking.ACQUIRE and taken["condition_token"] == "t-2" and taken["record"]["unfinished"]["runbook"] == "failover_drill"
    own = locking.decide_acquire(taken["record"], failover, "prod", NOW, HOUR, "t-x", never_asked, mark={"resume": "r"})
    assert own["record"]["unfinished"]["runbook"] == "failover" and own["record"]["unfinished"]["resumed_by"] == ["failover"]
    assert own["record"]["unfinished"]["supersedes"] == {"runbook": "failover_drill", "run_id": "drill-prod-20260131T110000"}


def test_a_refusal_for_an_unfinished_run_says_how_to_finish_it_and_how_to_abandon_it():
    message = locking.unfinished_message(locking.mark_only(drill_marked(), "t-2"), "prod", NOW,
                                         locking.abandon_command("inventories/prod", "prod", True), "deploy")
    assert message == (
        "deploy refused, nothing changed: the failover_drill run drill-prod-20260131T110000 on environment prod is unfinished "
        "since 2026-01-31T11:55:00Z (5 min ago): it stopped after its first change, so the estate may be half changed. Finish it "
        "by running it again: " + RESUME + ". If it cannot be finished and the estate has been put right by hand, abandon it: "
        "ansible-playbook playbooks/release_lock.yml -i inventories/prod -e lock_abandon=drill-prod-20260131T110000 "
        "-e confirm_release_lock=prod.")


def test_a_release_keeps_the_mark_unless_the_run_finished():
    lock = drill_marked()
    kept = locking.decide_release(lock, DRILL, NOW, False, True, never_asked, token="t-2")
    assert kept["action"] == locking.RELEASE and kept["condition_token"] == "t-1"
    assert kept["record"] == {"lock_id": "prod", "token": "t-2", "unfinished": lock["unfinished"]}
    done = locking.decide_release(lock, DRILL, NOW, False, True, never_asked, finished=True, token="t-2")
    assert done["action"] == locking.RELEASE and done["record"] is None
    assert done["message"] == "released this run's lock; the failover_drill run drill-prod-20260131T110000 is finished"
    # A stale holder released by playbooks/release_lock.yml: the mark stays.
    stale = locking.decide_release(dict(lock, host="ctl-2", expires_epoch=NOW - 1), ME, NOW, False, False, never_asked, token="t-3")
    assert stale["action"] == locking.RELEASE and stale["record"]["unfinished"] == lock["unfinished"]
    # Only the mark: nothing to release, the mark stays.
    only = locking.decide_release(kept["record"], ME, NOW, False, False, never_asked)
    assert only["action"] == locking.NOTHING and "stays marked unfinished" in only["message"]


def test_abandon_removes_the_mark_only_by_its_run_id():
    only = locking.mark_only(drill_marked(), "t-2")
    wrong = locking.decide_release(only, ME, NOW, False, False, never_asked, abandon="drill-prod-other")
    assert (wrong["action"], wrong["reason"]) == (locking.REFUSE, "abandon")
    assert locking.abandon_refusal_message(only, "prod", "drill-prod-other").startswith(
        "Abandon refused, nothing changed: lock_abandon=drill-prod-other does not name the unfinished run of environment prod, "
        "which is the failover_drill run drill-prod-20260131T110000")
    assert locking.decide_release(None, ME, NOW, False, False, never_asked, abandon="x")["reason"] == "abandon"
    gone = locking.decide_release(only, ME, NOW, False, False, never_asked, abandon="drill-prod-20260131T110000")
    assert (gone["action"], gone["record"], gone["condition_token"]) == (locking.RELEASE, None, "t-2")
    # A live holder of the marked item: abandon alone does not release it (force does).
    live = drill_marked(dict(DRILL, host="ctl-2"))
    assert locking.decide_release(live, ME, NOW, False, False, alive, abandon="drill-prod-20260131T110000")["reason"] == "held"
