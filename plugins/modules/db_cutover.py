#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: db_cutover
version_added: 1.0.0
short_description: Point an application at another database through the endpoint in a Kubernetes Secret, or put it back
description:
  - The application reads its database endpoint from keys O(host_key) and O(port_key) of the Secret O(secret_name). A
    cutover (O(state=present)) writes O(endpoint) there (the Secret's other keys are left alone), records the values
    it replaced, the instance and the time in the Secret's annotations (C(cloudops.io/cutover-previous),
    C(cloudops.io/cutover-instance), C(cloudops.io/cutover-at)), restarts O(restart_deployments) when the Secret
    changed, and waits until they have rolled out. Repeating the same cutover changes nothing and keeps the record of
    the first one.
  - O(state=rolled_back) reads the record and writes the previous values back (removing a key the Secret did not
    have, or deleting the Secret when the cutover created it), removes the record and restarts
    O(restart_deployments). Without a record nothing changes.
  - O(state=read) only reads the Secret and applies the refusals below (the preflight of a cutover).
  - Refused before anything changes - a Secret that does not exist unless O(create_missing), a cutover to
    O(instance_id) while the Secret is cut over to another instance, a O(restart_deployments) Deployment that does not
    exist (a rollback restarts the ones that exist and warns about the others).
  - One process does the read, the decision, the write, the restarts and the wait (the restarted Deployments roll out
    together, within O(restart_timeout)). Requests follow the collection's retry policy (module_utils/_k8s/client.py);
    a create whose response was lost is read back instead of being sent twice.
  - Only the endpoint keys of the Secret are returned, never its other content.
  - Check mode reads and predicts (RV(cutover) as it would be), and neither writes nor restarts. C(--diff) shows the
    endpoint and the record before and after.
options:
  state:
    description: V(present) cuts over to O(endpoint), V(rolled_back) puts back what a cutover replaced, V(read) only reads.
    type: str
    default: present
    choices: [present, rolled_back, read]
  namespace:
    description: Namespace of the Secret (and of O(restart_deployments)).
    type: str
    required: true
  secret_name:
    description: The Secret the application reads its database endpoint from.
    type: str
    required: true
  host_key:
    description: Key of the host in the Secret.
    type: str
    default: DB_HOST
  port_key:
    description: Key of the port in the Secret.
    type: str
    default: DB_PORT
  endpoint:
    description: With O(state=present), the endpoint to write.
    type: dict
    suboptions:
      address:
        description: Host name the application connects to (the RDS API's endpoint).
        type: str
        required: true
      port:
        description: Port.
        type: int
        required: true
  settings:
    description:
      - Other keys of the same Secret written by the cutover with O(endpoint) (strings), recorded and put back with it
        in one write and one restart - in a failover, the DR cache's endpoint and the DR buckets' names (the
        application's other state stores). A key the Secret did not have is removed again by the rollback.
    type: dict
    default: {}
    version_added: 1.1.0
  instance_id:
    description: The instance being cut over to (recorded on the Secret; a cutover to another one is refused while it is).
    type: str
    default: ""
  create_missing:
    description:
      - Create the Secret when it does not exist (its rollback then deletes it). Off by default - a missing Secret
        usually means a wrong name, and the application would not see the new endpoint.
    type: bool
    default: false
  restart_deployments:
    description: Deployments (in O(namespace)) restarted after the Secret changed, so they read it again.
    type: list
    elements: str
    default: []
  restart_timeout:
    description: Seconds to wait for the restarted Deployments (together) to roll out.
    type: int
    default: 600
  settings_var:
    description: The inventory variable that configures the Secret, named in refusals so they say what to fix.
    type: str
    default: cloudops_backup.cutover
  rollback_hint:
    description: How to put back a cutover to another instance, named when the Secret is already cut over to one.
    type: str
    default: playbooks/backup_restore.yml -e restore_cutover_rollback=true
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.kubernetes
"""

EXAMPLES = r"""
- name: Point the application at the promoted database
  cloudops.runbooks.db_cutover:
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    namespace: shop
    secret_name: shop-db
    instance_id: shop-db-dr
    endpoint: {address: shop-db-dr.abc.us-west-2.rds.amazonaws.com, port: 5432}
    restart_deployments: [shop-blue]
  register: cutover

- name: Put it back
  cloudops.runbooks.db_cutover:
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    namespace: shop
    secret_name: shop-db
    state: rolled_back
    restart_deployments: [shop-blue]
"""

RETURN = r"""
state:
  description: What the Secret held before this call.
  returned: always
  type: dict
  contains:
    exists: {description: Whether the Secret existed., type: bool, sample: true}
    current:
      description: "The endpoint keys, C({host, port}) (strings; null when absent), and C(settings) (the O(settings) keys' values) when any."
      type: dict
      sample: {host: db.example, port: '5432'}
    record:
      description: The cutover recorded on it, C({instance, at, previous}), or null.
      type: dict
      sample: {instance: shop-db-restore-1, at: '2026-01-31T12:00:00Z', previous: {existed: true, host: db.example, port: '5432'}}
cutover:
  description:
    - With O(state=present) - C(secret) (namespace/name), C(instance), C(at), C(previous) (the values before any
      cutover), C(current) (C({host, port}) written), C(changed), C(restarted).
    - With O(state=rolled_back) - C(secret), C(rolled_back), C(instance) (the instance it was cut over to, still
      running), C(at), C(previous) (the values put back), C(replaced) (the values it replaced), C(changed), C(restarted).
  returned: O(state=present) or O(state=rolled_back)
  type: dict
  sample: {secret: shop/shop-db, instance: shop-db-dr, at: '2026-01-31T12:00:00Z', previous: {existed: false, host: null, port: null},
           current: {host: shop-db-dr.abc.us-west-2.rds.amazonaws.com, port: '5432'}, changed: true, restarted: []}
restart_seconds:
  description: Seconds the restarted Deployments took to roll out; null when none was restarted.
  returned: always
  type: float
  sample: 12.5
step_summary:
  description: The call as a runbook step - C(detail), C(measures) (C(restarted), C(restart_seconds)) and C(gates) (none).
  returned: always
  type: dict
  sample: {detail: "Secret shop/shop-db -> shop-db-dr.abc.us-west-2.rds.amazonaws.com:5432 (changed)", measures: {restarted: 0}, gates: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import cutover
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils.waiting import poll_until
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:
    pass  # k8s_retry.module_api_client reports the missing library

MERGE_PATCH = "application/merge-patch+json"


def now():
    return timing.utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


class Cluster(object):
    """The Secret and the Deployments of one namespace (camelCase dicts out)."""

    def __init__(self, module, api, namespace):
        self.module, self.api, self.namespace = module, api, namespace
        self.core, self.apps = k8s_client.CoreV1Api(api), k8s_client.AppsV1Api(api)

    def _fail(self, exc, what, **context):
        self.module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""),
                                                           str(getattr(exc, "body", None) or exc)[:500]), **context)

    def _read(self, call, name, what):
        try:
            return self.api.sanitize_for_serialization(call(name, self.namespace))
        except ApiException as exc:
            if exc.status == 404:
                return None
            self._fail(exc, "reading %s %s/%s" % (what, self.namespace, name))
        except Exception as exc:  # urllib3 errors after the retries
            self._fail(exc, "reading %s %s/%s" % (what, self.namespace, name))

    def secret(self, name):
        return self._read(self.core.read_namespaced_secret, name, "Secret")

    def deployment(self, name):
        return self._read(self.apps.read_namespaced_deployment, name, "Deployment")

    def _write(self, call, what, **context):
        try:
            return call()
        except Exception as exc:  # ApiException, urllib3 errors after the retries
            self._fail(exc, what, **context)

    def create_secret(self, body):
        name = body["metadata"]["name"]
        self._write(lambda: k8s_retry.create(lambda: self.core.create_namespaced_secret(self.namespace, body), lambda: self.secret(name)),
                    "creating Secret %s/%s" % (self.namespace, name))

    def patch_secret(self, name, body):
        self._write(lambda: self.core.patch_namespaced_secret(name, self.namespace, body, _content_type=MERGE_PATCH),
                    "writing Secret %s/%s" % (self.namespace, name))

    def delete_secret(self, name):
        try:
            self.core.delete_namespaced_secret(name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:  # gone already (a retried delete whose first response was lost)
                self._fail(exc, "deleting Secret %s/%s" % (self.namespace, name))
        except Exception as exc:
            self._fail(exc, "deleting Secret %s/%s" % (self.namespace, name))

    def restart(self, name, stamp, **context):
        self._write(lambda: self.apps.patch_namespaced_deployment(name, self.namespace, cutover.restart_patch(stamp)),
                    "restarting Deployment %s/%s" % (self.namespace, name), **context)


def restart_and_wait(module, cluster, names, timeout, context):
    """Restart the Deployments, then wait until all have rolled out. Returns the seconds it took."""
    if not names:
        return None
    watch = timing.Stopwatch()
    stamp = now()
    for name in names:
        cluster.restart(name, stamp, **context)
    latest = dict((name, None) for name in names)

    def probe():
        for name in names:
            if not cutover.rollout_complete(latest[name]):
                latest[name] = cluster.deployment(name)
        return latest

    waited = poll_until(probe, lambda found: all(cutover.rollout_complete(obj) for obj in found.values()), timeout)
    seconds = watch.elapsed()
    if not waited["done"]:
        late = [cutover.rollout_progress(name, obj) for name, obj in latest.items() if not cutover.rollout_complete(obj)]
        module.fail_json(msg="the restarted Deployments did not roll out within %s s: %s" % (timeout, "; ".join(late)),
                         restart_seconds=seconds, **context)
    return seconds


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "rolled_back", "read"]),
            namespace=dict(type="str", required=True),
            secret_name=dict(type="str", required=True),
            host_key=dict(type="str", default="DB_HOST", no_log=False),
            port_key=dict(type="str", default="DB_PORT", no_log=False),
            endpoint=dict(type="dict", options=dict(address=dict(type="str", required=True), port=dict(type="int", required=True))),
            settings=dict(type="dict", default={}),
            instance_id=dict(type="str", default=""),
            create_missing=dict(type="bool", default=False),
            restart_deployments=dict(type="list", elements="str", default=[]),
            restart_timeout=dict(type="int", default=600),
            settings_var=dict(type="str", default="cloudops_backup.cutover"),
            rollback_hint=dict(type="str", default="playbooks/backup_restore.yml -e restore_cutover_rollback=true"),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        required_if=[("state", "present", ("endpoint",))],
        supports_check_mode=True,
    )
    params = module.params
    name, namespace, operation = params["secret_name"], params["namespace"], params["state"]
    host_key, port_key, restart = params["host_key"], params["port_key"], params["restart_deployments"]
    if params["restart_timeout"] < 0:
        module.fail_json(msg="restart_timeout must be 0 or more seconds")
    cluster = Cluster(module, k8s_retry.module_api_client(module, params["kubeconfig"], params["context"]), namespace)
    secret = "%s/%s" % (namespace, name)

    try:
        found_secret = cluster.secret(name)
        state = cutover.secret_state(found_secret, host_key, port_key, sorted(params["settings"]))
        recorded = sorted(((state["record"] or {}).get("previous") or {}).get("settings") or {})
        if set(recorded) - set(params["settings"]):  # a rollback puts back (and shows) every key the cutover wrote
            state = cutover.secret_state(found_secret, host_key, port_key, sorted(set(recorded) | set(params["settings"])))
    except ValueError as exc:  # the record annotation or a key is not what a cutover wrote
        module.fail_json(msg="Secret %s holds a cutover record or endpoint that cannot be read (%s): fix or remove its "
                             "cloudops.io/cutover-* annotations" % (secret, exc))
    found = cutover.problems(state, "Secret %s" % secret, params["create_missing"], params["instance_id"],
                             params["settings_var"], params["rollback_hint"])
    if found:
        module.fail_json(msg=cutover.refusal(found), state=state)
    result = dict(changed=False, state=state, restart_seconds=None)

    if operation == "read":
        result["step_summary"] = cutover.step_summary("read", dict(state, secret=secret))
        module.exit_json(**result)

    if operation == "present":
        missing = [deployment for deployment in restart if cluster.deployment(deployment) is None]
        if missing:
            module.fail_json(msg=cutover.refusal(["Deployment %s not found in %s (restart_deployments): check the names."
                                                  % (", ".join(missing), namespace)]), state=state)
        plan = cutover.cutover_plan(state, params["instance_id"], params["endpoint"], now(), params["settings"])
        changed = cutover.cutover_changes(state, plan, params["instance_id"])
        outcome = cutover.cutover_result(secret, params["instance_id"], plan, changed, restart)
        if module._diff:
            result["diff"] = {"before": {"current": state["current"], "record": state["record"]},
                              "after": {"current": outcome["current"],
                                        "record": {"instance": params["instance_id"], "at": plan["at"], "previous": plan["previous"]}}}
        if changed and not module.check_mode:
            if state["exists"]:
                cluster.patch_secret(name, cutover.cutover_patch(host_key, port_key, plan))
            else:
                cluster.create_secret(cutover.cutover_secret(name, namespace, host_key, port_key, plan))
            result["restart_seconds"] = restart_and_wait(module, cluster, outcome["restarted"], params["restart_timeout"],
                                                         dict(changed=True, state=state, cutover=outcome))
    else:
        record = state["record"]
        if record is not None:
            restart = [deployment for deployment in restart if cluster.deployment(deployment) is not None] or []
            skipped = [deployment for deployment in params["restart_deployments"] if deployment not in restart]
            if skipped:
                module.warn("Deployment %s not found in %s: not restarted" % (", ".join(skipped), namespace))
        outcome = cutover.rollback_result(secret, state, restart)
        changed = outcome["changed"]
        if module._diff and record is not None:
            previous = record["previous"]
            result["diff"] = {"before": {"current": state["current"], "record": record},
                              "after": {"current": dict({"host": previous.get("host"), "port": previous.get("port")},
                                                        **({"settings": previous["settings"]} if previous.get("settings") else {}))
                                        if not cutover.rollback_deletes(record)
                                        else None, "record": None}}
        if changed and not module.check_mode:
            if cutover.rollback_deletes(record):
                cluster.delete_secret(name)
            else:
                cluster.patch_secret(name, cutover.rollback_patch(host_key, port_key, record["previous"]))
            result["restart_seconds"] = restart_and_wait(module, cluster, outcome["restarted"], params["restart_timeout"],
                                                         dict(changed=True, state=state, cutover=outcome))
    result.update(changed=changed, cutover=outcome,
                  step_summary=cutover.step_summary("cutover" if operation == "present" else "rollback", outcome,
                                                    module.check_mode, result["restart_seconds"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
