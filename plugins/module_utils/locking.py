# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook lock of an environment, apart from any AWS call.

One lock per environment: a record naming its holder (runbook, run id, user, the controller host and the
ansible-playbook process there) and when it expires. A run acquires it before it reads the estate and releases it at
the end. Whether a run may take it, renew it, take it over or release it is decided here, from the record read and
who is asking; the module (plugins/modules/runbook_lock.py) does the reads, the conditional writes and the process
checks. Times are epoch seconds (int) in, ISO 8601 UTC strings in the messages and records.

A lock is stale, and anyone may take it over, when it has expired or when its holder ran on this same controller host
and that process is gone (a killed or crashed run). A lock held by a live run elsewhere is refused until it expires
or someone releases it explicitly (force). A live run keeps its lock: the module starts a heartbeat process that
renews it (heartbeat_at, expires_epoch) while the run's ansible-playbook process lives, so only a dead run's lock
expires, ttl_seconds after its last heartbeat.

A runbook whose interruption leaves the estate half changed (failover, failover drill, later failback) marks the lock
item `unfinished` just before its first change ({runbook, run_id, since, resume, resumed_by}) and releases it with
`finished` only when it completed. The mark outlives the holder: a failed or killed run leaves it (its release keeps
the item with the mark, holder fields gone), and every runbook not in its `resumed_by` is refused while it is there,
naming the run, the command that finishes it and the one that abandons it. Only the runbooks that resume it (the same
runbook; a failover also takes over an unfinished drill) may take the lock.
"""

from __future__ import annotations

import datetime

KEY = "lock_id"

# Holder states
ABSENT = "absent"
MINE = "mine"
EXPIRED = "expired"
DEAD = "dead"          # its holder process on this host is gone (or the host rebooted since)
HELD = "held"          # by a live run, or one this host cannot check

# Actions
ACQUIRE = "acquired"
RENEW = "renewed"
TAKE_OVER = "taken_over"
REFUSE = "refused"
RELEASE = "released"
NOTHING = "none"
LEAVE = "left"

# Holder fields that identify one run; the others describe it.
HOLDER = ("host", "boot_id", "pid", "pid_started", "runbook", "run_id", "user", "started_epoch", "started_at", "renewed_epoch",
          "heartbeat_at", "heartbeat_id", "expires_epoch", "expires_at", "ttl_seconds", "purge_epoch")
MARK = "unfinished"
# An item without a mark may be purged by the table's TTL (attribute purge_epoch) this long after it expired; an
# item with a mark has no purge_epoch, so the TTL never deletes an unfinished run's mark.
PURGE_AFTER = 7 * 24 * 3600
# Which runbooks, besides the one that marked it, take over an unfinished run: a real failover supersedes a drill.
RESUMED_BY = {"failover_drill": ["failover_drill", "failover"], "failover": ["failover"]}
IDENTITY = ("host", "boot_id", "pid", "pid_started")
# Fields whose change makes a renewal worth reporting as changed (a later expiry alone is not).
MEANINGFUL = ("runbook", "run_id", "user")


class LockError(Exception):
    """A refusal whose message says who holds the lock and how to release it."""


def iso(epoch):
    """ISO 8601 UTC, to the second."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expires_at(now, ttl_seconds):
    """Epoch second at which a lock taken now with this TTL expires."""
    ttl = int(ttl_seconds)
    if ttl <= 0:
        raise LockError("ttl_seconds must be a positive number of seconds, got %s" % ttl_seconds)
    return int(now) + ttl


def has_holder(lock):
    """A run holds the item (a released unfinished run leaves only its mark)."""
    return lock is not None and lock.get("expires_epoch") is not None


def mark_of(lock):
    """The unfinished-run mark of the item, or None."""
    return (lock or {}).get(MARK) or None


def is_expired(lock, now):
    return int(lock["expires_epoch"]) <= int(now)


def same_host(lock, me):
    return lock.get("host") == me.get("host")


def is_mine(lock, me):
    """The record was written by this very run: same host, boot, ansible-playbook process (pid and its start time).
    Without a known process (pid None) a run is recognised by its run id."""
    if any(lock.get(field) != me.get(field) for field in IDENTITY):
        return False
    return me.get("pid") is not None or lock.get("run_id") == me.get("run_id")


def holder_state(lock, me, now, process_alive):
    """ABSENT, MINE, EXPIRED, DEAD or HELD. process_alive(pid, pid_started) is asked only about a holder on this host
    that ran since its last boot: another host's processes cannot be seen from here."""
    if lock is None or not has_holder(lock):
        return ABSENT
    if is_mine(lock, me):
        return MINE
    if is_expired(lock, now):
        return EXPIRED
    if same_host(lock, me) and lock.get("pid") is not None:
        if lock.get("boot_id") and me.get("boot_id") and lock.get("boot_id") != me.get("boot_id"):
            return DEAD
        if not process_alive(lock["pid"], lock.get("pid_started")):
            return DEAD
    return HELD


def new_record(key, me, now, ttl_seconds, token, previous=None, heartbeat_id=None):
    """The record this run writes: its identity and description, started (kept across renewals), expiry, the id of
    the heartbeat that will renew it, and the previous item's unfinished mark (a mark outlives its holder)."""
    kept = previous if previous is not None and is_mine(previous, me) else None
    record = dict((field, me.get(field)) for field in IDENTITY + MEANINGFUL)
    record.update({
        KEY: key,
        "token": kept["token"] if kept else token,
        "started_epoch": int(kept["started_epoch"]) if kept else int(now),
        "renewed_epoch": int(now),
        "expires_epoch": expires_at(now, ttl_seconds),
        "ttl_seconds": int(ttl_seconds),
    })
    record["started_at"], record["expires_at"] = iso(record["started_epoch"]), iso(record["expires_epoch"])
    record["heartbeat_at"] = iso(now)
    if heartbeat_id:
        record["heartbeat_id"] = heartbeat_id
    mark = mark_of(previous)
    if mark:
        record[MARK] = mark
    else:
        record["purge_epoch"] = record["expires_epoch"] + PURGE_AFTER
    return record


def marked(record, me, now, resume_command, resumed_by=None):
    """The record with this run's unfinished mark: {runbook, run_id, since, resume, resumed_by}. A mark of the same
    runbook keeps its `since` (a resumed run); a mark of another runbook (a failover taking over a drill) is replaced."""
    previous = mark_of(record)
    since = previous["since"] if previous and previous.get("runbook") == me.get("runbook") and previous.get("since") else iso(now)
    out = dict((k, v) for k, v in record.items() if k != "purge_epoch")
    out[MARK] = {"runbook": me.get("runbook"), "run_id": me.get("run_id"), "since": since,
                 "resume": resume_command or "ansible-playbook playbooks/%s.yml -i INVENTORY" % me.get("runbook"),
                 "resumed_by": list(resumed_by or RESUMED_BY.get(me.get("runbook"), [me.get("runbook")]))}
    if previous and previous.get("runbook") != me.get("runbook"):
        out[MARK]["supersedes"] = {"runbook": previous.get("runbook"), "run_id": previous.get("run_id")}
    return out


def mark_only(lock, token):
    """What a release of an unfinished run leaves: the item with its mark, the holder fields gone, a new token (the
    condition of the next write; the heartbeat, conditioned on the old one, stops)."""
    out = dict((k, v) for k, v in lock.items() if k not in HOLDER and k != "token")
    out["token"] = token
    return out


def may_resume(mark, runbook):
    return runbook in (mark.get("resumed_by") or [mark.get("runbook")])


def why_stale(lock, key, state, now):
    """Whose stale lock it is and why it is stale, for the run output."""
    who = "the lock of %s held by %s run %s (user %s, host %s%s)" % (
        key, lock.get("runbook"), lock.get("run_id"), lock.get("user"), lock.get("host"),
        ", pid %s" % lock["pid"] if lock.get("pid") is not None else "")
    if state == EXPIRED:
        return "%s: it expired at %s (%s ago)" % (who, iso(lock["expires_epoch"]), duration(now - int(lock["expires_epoch"])))
    return "%s: its ansible-playbook process is no longer running on this host (a killed or crashed run)" % who


def decide_acquire(lock, me, key, now, ttl_seconds, token, process_alive, heartbeat_id=None, mark=None):
    """What acquiring does: {action, changed, record (to write, None when refused), condition_token (the token the
    write must find, None: the lock must be absent), state, reason (of a refusal: held or unfinished), message}.
    mark: {resume, resumed_by} to mark this run unfinished in the same write (None: keep the item's mark as it is).
    An unfinished mark of a runbook this one does not resume refuses it, whoever holds the lock."""
    state = holder_state(lock, me, now, process_alive)
    unfinished = mark_of(lock)
    if unfinished and state != MINE and not may_resume(unfinished, me.get("runbook")):
        return {"action": REFUSE, "changed": False, "record": None, "condition_token": None, "state": state,
                "reason": "unfinished", "message": None}
    if state == HELD:
        return {"action": REFUSE, "changed": False, "record": None, "condition_token": None, "state": state,
                "reason": "held", "message": None}
    record = new_record(key, me, now, ttl_seconds, token, previous=lock, heartbeat_id=heartbeat_id)
    if mark is not None:
        record = marked(record, me, now, mark.get("resume"), mark.get("resumed_by"))
    marking = mark is not None and mark_of(record) != unfinished
    note = (" and marked run %s unfinished until it completes" % me.get("run_id")) if marking else ""
    if unfinished and not marking and state != MINE:
        note = " (resuming the unfinished %s run %s)" % (unfinished.get("runbook"), unfinished.get("run_id"))
    if state == ABSENT:
        return {"action": ACQUIRE, "changed": True, "record": record, "condition_token": lock["token"] if lock else None,
                "state": state, "reason": None, "message": "acquired the lock of %s until %s%s" % (key, record["expires_at"], note)}
    if state == MINE:
        changed = marking or any(lock.get(field) != record[field] for field in MEANINGFUL)
        return {"action": RENEW, "changed": changed, "record": record, "condition_token": lock["token"], "state": state, "reason": None,
                "message": "renewed this run's lock of %s until %s%s" % (key, record["expires_at"], note)}
    return {"action": TAKE_OVER, "changed": True, "record": record, "condition_token": lock["token"], "state": state, "reason": None,
            "message": "took over %s%s" % (why_stale(lock, key, state, now), note)}


def decide_release(lock, me, now, force, holder_only, process_alive, finished=False, abandon=None, token=None):
    """What releasing does: {action, changed, condition_token, record (what stays: None deletes the item), state,
    reason, message}. Only the holder releases; a stale lock (expired, or its process gone from this host) is nobody's
    and is released too; a live lock of another run is released only with force. holder_only: leave any lock that is
    not this run's (a run's own final release must never drop the lock of a run that took its expired lock over).
    An unfinished mark stays (the item keeps it, holder fields gone; token: the new item's token) unless this run
    finished (its own mark) or abandon names its run id; abandon naming another run, or no mark, is refused."""
    state = holder_state(lock, me, now, process_alive)
    unfinished = mark_of(lock)

    def result(action, changed, message, condition=None, record=None, reason=None):
        return {"action": action, "changed": changed, "condition_token": condition, "record": record, "state": state,
                "reason": reason, "message": message}

    if abandon:
        if not unfinished or unfinished.get("run_id") != abandon:
            return result(REFUSE, False, None, reason="abandon")
    keep_mark = bool(unfinished) and not abandon and not (finished and state == MINE and unfinished.get("run_id") == lock.get("run_id"))
    after = mark_only(lock, token) if keep_mark else None
    what = ""
    if abandon:
        what = "; abandoned the unfinished %s run %s (since %s)" % (unfinished.get("runbook"), abandon, unfinished.get("since"))
    elif keep_mark:
        what = ("; the %s run %s stays marked unfinished: other runbooks are refused until it is finished (run it again) or "
                "abandoned" % (unfinished.get("runbook"), unfinished.get("run_id")))
    elif unfinished:
        what = "; the %s run %s is finished" % (unfinished.get("runbook"), unfinished.get("run_id"))
    if state == ABSENT:
        if lock is not None and abandon:
            return result(RELEASE, True, "no run holds the lock" + what, lock["token"], after)
        if unfinished:
            return result(NOTHING, False, "no run holds the lock" + what)
        return result(NOTHING, False, "no lock to release")
    if state == MINE:
        return result(RELEASE, True, "released this run's lock" + what, lock["token"], after)
    if holder_only:
        return result(LEAVE, False, "the lock is no longer this run's (%s): left as it is" % describe(lock, now))
    if state in (EXPIRED, DEAD):
        return result(RELEASE, True, "released %s%s" % (why_stale(lock, lock.get(KEY), state, now), what), lock["token"], after)
    if force:
        return result(RELEASE, True, "released by force the lock held by %s%s" % (describe(lock, now), what), lock["token"], after)
    return result(REFUSE, False, None, reason="held")


def duration(seconds):
    """'42 s', '7 min', '2 h 5 min'."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return "%d s" % seconds
    minutes = seconds // 60
    if minutes < 120:
        return "%d min" % minutes
    return "%d h %d min" % (minutes // 60, minutes % 60)


def describe(lock, now):
    """Who holds the lock, in one phrase."""
    return ("runbook %s, run %s, user %s, host %s%s, started %s, expires %s (in %s)"
            % (lock.get("runbook"), lock.get("run_id"), lock.get("user"), lock.get("host"),
               " (pid %s)" % lock["pid"] if lock.get("pid") is not None else "",
               iso(lock.get("started_epoch")), iso(lock.get("expires_epoch")), duration(int(lock["expires_epoch"]) - int(now))))


def refusal_message(lock, key, now, release_command, runbook=None):
    """The message of a refused acquire: nothing changed, who holds the lock, and the exact command to release it."""
    what = ("%s refused" % runbook) if runbook else "Refused"
    return ("%s, nothing changed: another runbook holds the lock of environment %s (%s). Wait for it to finish, "
            "or, if that run is gone (the lock expires by itself then), release the lock: %s"
            % (what, key, describe(lock, now), release_command))


def release_refusal_message(lock, key, now, release_command):
    """The message of a refused release: the lock is another live run's."""
    return ("Lock of environment %s not released, nothing changed: it is held by a running runbook (%s). Releasing it "
            "lets another runbook change the estate while that one still runs. If that run is gone, release it by "
            "force: %s" % (key, describe(lock, now), release_command))


def release_command(inventory, environment, confirm):
    """The command that releases an environment's lock by force (with the confirmation where one is required)."""
    command = "ansible-playbook playbooks/release_lock.yml -i %s -e lock_force=true" % (inventory or "INVENTORY")
    if confirm:
        command += " -e confirm_release_lock=%s" % environment
    return command


def abandon_command(inventory, environment, confirm, run_id="<run_id>"):
    """The command that abandons an unfinished run (with the confirmation where one is required)."""
    command = "ansible-playbook playbooks/release_lock.yml -i %s -e lock_abandon=%s" % (inventory or "INVENTORY", run_id)
    if confirm:
        command += " -e confirm_release_lock=%s" % environment
    return command


def unfinished_message(lock, key, now, abandon_template, runbook=None):
    """The message of an acquire refused for an unfinished run: which run, since when, how to finish it, how to abandon it."""
    mark = mark_of(lock)
    what = ("%s refused" % runbook) if runbook else "Refused"
    holder = ""
    if has_holder(lock):
        holder = " The lock is held by %s." % describe(lock, now)
    return ("%s, nothing changed: the %s run %s on environment %s is unfinished since %s (%s ago): it stopped after its first "
            "change, so the estate may be half changed. Finish it by running it again: %s. If it cannot be finished and the "
            "estate has been put right by hand, abandon it: %s.%s"
            % (what, mark.get("runbook"), mark.get("run_id"), key, mark.get("since"), duration(now - epoch_of(mark.get("since"), now)),
               mark.get("resume"), abandon_template.replace("<run_id>", str(mark.get("run_id"))), holder))


def abandon_refusal_message(lock, key, abandon):
    mark = mark_of(lock)
    if not mark:
        return ("Abandon refused, nothing changed: no unfinished run is marked in the lock of environment %s (lock_abandon=%s)."
                % (key, abandon))
    return ("Abandon refused, nothing changed: lock_abandon=%s does not name the unfinished run of environment %s, which is "
            "the %s run %s (since %s). Give that run id to abandon it." % (abandon, key, mark.get("runbook"), mark.get("run_id"),
                                                                           mark.get("since")))


def epoch_of(text, default):
    try:
        return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
    except (TypeError, ValueError):
        return int(default)


def heartbeat_interval(ttl_seconds):
    """Seconds between two renewals: a third of the TTL (two may fail before the lock expires), at least 1 s."""
    return max(1.0, int(ttl_seconds) / 3.0)


# ------------------------------------------------------------------------------------------- the holder process


def parse_stat(text):
    """(ppid, start time in clock ticks since boot) from the text of /proc/<pid>/stat. The command name (field 2)
    is in parentheses and may itself hold spaces or parentheses: fields are counted after the last ')'."""
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19])


def is_playbook_command(argv):
    """The command line runs ansible-playbook: `ansible-playbook ...` or `python .../ansible-playbook ...`
    (ansible-runner, and so AWX, start it so too)."""
    names = [arg.rsplit("/", 1)[-1] for arg in argv[:2]]
    return "ansible-playbook" in names


def playbook_process(ancestors):
    """The ansible-playbook process a module runs under, from its ancestors [(pid, argv), ...] nearest first, or None.
    Ansible forks a worker per task (same command line as its parent) and the worker dies after the task: the process
    that lives as long as the run is the outermost of the first run of ansible-playbook ancestors."""
    found = None
    for pid, argv in ancestors:
        if is_playbook_command(argv):
            found = pid
        elif found is not None:
            break
    return found
