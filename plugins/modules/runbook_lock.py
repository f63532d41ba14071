#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: runbook_lock
version_added: 0.6.0
short_description: Take or release the runbook lock of an environment (a DynamoDB item written on a condition)
description:
  - One lock per environment, so that a second runbook started on the same environment while one runs is refused
    before it reads or changes anything. The lock is an item of a DynamoDB table, keyed by O(environment), written
    and deleted only on a condition (absent, or still carrying the token read) - the pattern Terraform uses for its
    state lock. Two runs can never both hold it.
  - The holder record names the runbook, the run id, the user, the controller host and the C(ansible-playbook)
    process there (its pid and start time, found by walking C(/proc) up from the module to the outermost
    C(ansible-playbook) ancestor; Ansible's per-task workers share its command line but die after each task; under
    ansible-runner and so AWX it is the C(ansible-playbook) ansible-runner started). The module must therefore run on
    the controller (a play on C(localhost), as every runbook of this collection is).
  - O(state=acquired) takes a free lock, renews this run's own lock (a later expiry; C(changed) only when the
    runbook, run id or user differ), and takes over a stale lock, saying why in RV(message). A lock is stale when it
    has expired (O(ttl_seconds) after it was last taken or renewed) or when its holder ran on this same controller
    host and that C(ansible-playbook) process is gone (a killed or crashed run; a reboot of the host counts too). A lock
    held by a live run, or by a run on another host that has not expired, fails the task with who holds it and the
    exact command that releases it (O(release_command)). Nothing is written then.
  - O(state=released) deletes this run's lock, or a stale one. A live lock of another run is released only with
    O(force=true); with O(holder_only=true) any lock that is not this run's is left alone (the runbooks' final release
    uses it, so a run that outlived its lock never drops the lock of the run that took it over). An absent lock
    changes nothing.
  - Check mode reads the lock and predicts the result (a refusal fails the task as the real run would); it writes
    nothing. C(--diff) shows the lock record before and after.
  - The table has one string partition key C(lock_id); C(expires_epoch) may be its TTL attribute. When it does not
    exist the task fails with the AWS CLI commands that create it.
options:
  state:
    description:
      - V(acquired) takes, renews or takes over the lock; V(released) releases it.
    type: str
    choices: [acquired, released]
    default: acquired
  environment:
    description:
      - The lock's key, the environment the runbook runs on (the inventory's C(cloudops_environment)).
    type: str
    required: true
  table_name:
    description:
      - The DynamoDB table holding the locks (the inventory's C(cloudops_lock.table_name)). Its region is O(region);
        put it in the DR region, so that a failover can take the lock while the primary region is down.
    type: str
    required: true
  runbook:
    description:
      - The runbook taking the lock (for the holder record and the messages). Required with O(state=acquired).
    type: str
  run_id:
    description:
      - The run's id, as its run evidence names it (for the holder record and the messages). Required with
        O(state=acquired). A renewal with another run id (a failover resuming an interrupted run's id) reports a change.
      - With O(state=released), it identifies this run when no C(ansible-playbook) process was found above the module.
    type: str
  user:
    description:
      - Who runs it (an AWX job passes its user). Default the operating system user running the module.
    type: str
  ttl_seconds:
    description:
      - Seconds after which the lock expires unless renewed; longer than the runbook's longest run, so that only a
        crashed run's lock expires. A run killed on the same controller host is taken over at once (its process is
        gone) without waiting for the expiry.
    type: int
    default: 3600
  force:
    description:
      - With O(state=released), release the lock even when a live run of someone else holds it (that run may then
        overlap with the next one; use it only when that run is gone).
    type: bool
    default: false
  holder_only:
    description:
      - With O(state=released), release only this run's own lock; leave any other one as it is (no failure; RV(message) says whose it is).
    type: bool
    default: false
  release_command:
    description:
      - The command that releases the lock by force, quoted in refusals (the runbook_lock role passes the inventory's
        C(playbooks/release_lock.yml) command line). Default a generic one.
    type: str
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the lock of prod before anything else (fails naming the holder when another runbook runs)
  cloudops.runbooks.runbook_lock:
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1          # the DR region: a failover can lock while the primary region is down
    runbook: deploy
    run_id: deploy-prod-20260131T120000
    ttl_seconds: 7200
    release_command: ansible-playbook playbooks/release_lock.yml -i inventories/prod -e lock_force=true -e confirm_release_lock=prod
  register: lock

- name: Release it at the end, also when the run failed (only if it is still this run's)
  cloudops.runbooks.runbook_lock:
    state: released
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    holder_only: true

- name: Release a lock whose run is gone (an AWX node was lost) before it expires
  cloudops.runbooks.runbook_lock:
    state: released
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    force: true
"""

RETURN = r"""
outcome:
  description:
    - What happened (in check mode, what would happen). V(acquired), V(renewed), V(taken_over) (a stale lock),
      V(released), V(none) (no lock to release), V(left) (O(holder_only) and the lock is another run's), V(refused)
      (with the failure).
  returned: always
  type: str
  sample: acquired
lock:
  description: The lock record after the task (in check mode, as it would be); null when there is none.
  returned: always
  type: dict
  contains:
    lock_id:
      description: The environment.
      type: str
      sample: prod
    runbook:
      description: The runbook holding it.
      type: str
      sample: deploy
    run_id:
      description: Its run id.
      type: str
      sample: deploy-prod-20260131T120000
    user:
      description: Who runs it.
      type: str
      sample: alice
    host:
      description: The controller host it runs on.
      type: str
      sample: awx-task-7f9c
    pid:
      description: The pid of its C(ansible-playbook) process on that host (null when none was found).
      type: int
      sample: 4242
    pid_started:
      description: That process's start time (clock ticks since boot), so a reused pid is not taken for it.
      type: int
      sample: 81234567
    boot_id:
      description: The host's boot id (a reboot ends every run on it).
      type: str
      sample: 6b1e0c2c-5d7e-4c1b-9a57-2f2f0f6b1e0c
    started_at:
      description: When this run first took it (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:00:00Z'
    expires_at:
      description: When it expires unless renewed (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T14:00:00Z'
    ttl_seconds:
      description: Its time to live.
      type: int
      sample: 7200
holder_state:
  description:
    - The lock as read, before the task. V(absent), V(mine) (this run's), V(expired), V(dead) (its run's process is gone
      from this host), V(held) (a live run, or one on another host that has not expired).
  returned: success
  type: str
  sample: absent
previous:
  description: The lock record read before the task; null when there was none.
  returned: always
  type: dict
  sample: null
message:
  description: What happened, in a sentence (a take-over says whose lock it was and why it was stale).
  returned: always
  type: str
  sample: acquired the lock of prod until 2026-01-31T14:00:00Z
table:
  description: The table and region used.
  returned: always
  type: dict
  sample: {name: cloudops-runbook-locks, region: eu-central-1}
"""

import getpass
import os
import socket
import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import dynamodb
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client

# A conditional write that loses a race re-reads and decides again; more than this many losses in one task means
# something keeps changing the lock.
ATTEMPTS = 5


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def ancestors():
    """[(pid, argv)] of this process's ancestors, nearest first."""
    out, pid = [], os.getppid()
    while pid > 1:
        stat, cmdline = read_text("/proc/%d/stat" % pid), read_text("/proc/%d/cmdline" % pid)
        if stat is None or cmdline is None:
            break
        out.append((pid, [arg for arg in cmdline.split("\0") if arg]))
        pid = locking.parse_stat(stat)[0]
    return out


def started_ticks(pid):
    stat = read_text("/proc/%d/stat" % int(pid))
    return locking.parse_stat(stat)[1] if stat else None


def process_alive(pid, pid_started):
    """The process runs, and is the same one (same start time: pids are reused)."""
    ticks = started_ticks(pid)
    return ticks is not None and (pid_started is None or ticks == int(pid_started))


def os_user():
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry for the uid (containers)
        return str(os.getuid())


def this_run(params):
    pid = locking.playbook_process(ancestors())
    boot_id = (read_text("/proc/sys/kernel/random/boot_id") or "").strip() or None
    return {"host": socket.gethostname(), "boot_id": boot_id, "pid": pid, "pid_started": started_ticks(pid) if pid else None,
            "runbook": params["runbook"], "run_id": params["run_id"], "user": params["user"] or os_user()}


def table_missing(module, table):
    module.fail_json(msg="The runbook lock table %s does not exist in %s. Create it once per AWS account, in the region "
                     "of cloudops_lock.region (the DR region: a failover must be able to take the lock while the primary "
                     "region is down): %s. Or point cloudops_lock.table_name/region at an existing table."
                     % (table, module.region, dynamodb.create_table_command(table, module.region)))


def without_token(record):
    return dict((k, v) for k, v in (record or {}).items() if k != "token")


def diff_of(before, after):
    return {"before": without_token(before), "after": without_token(after)}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["acquired", "released"], default="acquired"),
            environment=dict(type="str", required=True),
            table_name=dict(type="str", required=True),
            runbook=dict(type="str"),
            run_id=dict(type="str"),
            user=dict(type="str"),
            ttl_seconds=dict(type="int", default=3600),
            force=dict(type="bool", default=False),
            holder_only=dict(type="bool", default=False),
            release_command=dict(type="str"),
        ),
        required_if=[["state", "acquired", ["runbook", "run_id"]]],
        supports_check_mode=True,
    )
    params = module.params
    key, table = params["environment"], params["table_name"]
    if params["ttl_seconds"] <= 0:
        module.fail_json(msg="ttl_seconds must be a positive number of seconds (cloudops_lock.ttl_seconds), got %s" % params["ttl_seconds"])
    release_command = params["release_command"] or locking.release_command(None, key, False)
    me = this_run(params)
    conn = client(module, "dynamodb")
    result = {"table": {"name": table, "region": module.region}}

    attempted = {}
    for dummy in range(ATTEMPTS):
        now = int(time.time())
        try:
            lock = dynamodb.read(module, conn, table, key)
        except dynamodb.TableMissing:
            table_missing(module, table)
        if attempted and lock == attempted["after"]:
            # The write whose condition "failed" had landed: a retried call (after a 5xx or a reset) found its own work.
            decision, after, lock = attempted["decision"], attempted["after"], attempted["previous"]
            break
        if params["state"] == "acquired":
            decision = locking.decide_acquire(lock, me, key, now, params["ttl_seconds"], uuid.uuid4().hex, process_alive)
            if decision["action"] == locking.REFUSE:
                module.fail_json(msg=locking.refusal_message(lock, key, now, release_command, params["runbook"]),
                                 outcome=locking.REFUSE, lock=lock, previous=lock, message="refused", **result)
            after = decision["record"]
            done = module.check_mode
            if not done:
                try:
                    done = dynamodb.write(module, conn, table, after, decision["condition_token"])
                except dynamodb.TableMissing:
                    table_missing(module, table)
        else:
            decision = locking.decide_release(lock, me, now, params["force"], params["holder_only"], process_alive)
            if decision["action"] == locking.REFUSE:
                module.fail_json(msg=locking.release_refusal_message(lock, key, now, release_command),
                                 outcome=locking.REFUSE, lock=lock, previous=lock, message="refused", **result)
            after = None if decision["action"] == locking.RELEASE else lock
            done = module.check_mode or decision["action"] in (locking.NOTHING, locking.LEAVE)
            if not done:
                try:
                    done = dynamodb.delete(module, conn, table, key, decision["condition_token"])
                except dynamodb.TableMissing:
                    table_missing(module, table)
        if done:
            break
        # The condition failed: someone else wrote or released the lock since the read. Read again and decide again.
        attempted = {"decision": decision, "after": after, "previous": lock}
    else:
        module.fail_json(msg="The runbook lock of %s in %s (%s) kept changing while this task tried to %s it; run again."
                         % (key, table, module.region, "take" if params["state"] == "acquired" else "release"), **result)

    result.update(changed=decision["changed"], outcome=decision["action"], holder_state=decision["state"], lock=after, previous=lock,
                  message=decision["message"])
    if module._diff:
        result["diff"] = diff_of(lock, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
