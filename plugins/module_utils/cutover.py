# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database cutover decisions, apart from any API call: what an application's endpoint Secret holds (the endpoint
and the cutover record kept in its annotations), which cutovers are refused before anything changes, the Secret a
cutover or its rollback writes, when a restarted Deployment has rolled out, and the step summary.

The Secret is a dict as the Kubernetes API serves it (camelCase, data base64). The I/O is in
plugins/modules/db_cutover.py (through _k8s/client.py); the role roles/db_cutover calls it once per entry point.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

INSTANCE = "cloudops.io/cutover-instance"
AT = "cloudops.io/cutover-at"
PREVIOUS = "cloudops.io/cutover-previous"
RESTARTED_AT = "cloudops.io/restarted-at"
RECORD_ANNOTATIONS = (INSTANCE, AT, PREVIOUS)


def b64(text):
    return base64.b64encode(str(text).encode("utf-8")).decode("ascii")


def unb64(text):
    return base64.b64decode(text).decode("utf-8")


def secret_state(secret, host_key, port_key, setting_keys=()):
    """{exists, current: {host, port[, settings]}, record: {instance, at, previous} or None} of a Secret (None: it does
    not exist). host, port and each of setting_keys (current.settings, when any) are the decoded strings, None when
    the key is absent."""
    if not secret:
        current = {"host": None, "port": None}
        if setting_keys:
            current["settings"] = dict((key, None) for key in setting_keys)
        return {"exists": False, "current": current, "record": None}
    data = secret.get("data") or {}
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    record = None
    if INSTANCE in annotations:
        record = {"instance": annotations[INSTANCE], "at": annotations.get(AT) or "",
                  "previous": json.loads(annotations.get(PREVIOUS) or "{}")}
    current = {"host": unb64(data[host_key]) if host_key in data else None,
               "port": unb64(data[port_key]) if port_key in data else None}
    if setting_keys:
        current["settings"] = dict((key, unb64(data[key]) if key in data else None) for key in setting_keys)
    return {"exists": True, "current": current, "record": record}


def problems(state, where, create_missing, instance_id, settings_var, rollback_hint):
    """Why a cutover (to instance_id; '' for a rollback or a read) is refused before anything changes: [] when not."""
    found = []
    if not state["exists"] and not create_missing:
        found.append("%s does not exist: the application must read its database endpoint from it (%s.secret_name/namespace), "
                     "or set %s.create_missing: true." % (where, settings_var, settings_var))
    record = state["record"]
    if instance_id and record and record["instance"] != instance_id:
        found.append("%s is already cut over to %s (since %s): put it back first (%s)." % (where, record["instance"], record["at"], rollback_hint))
    return found


def refusal(found):
    return "Cutover refused, nothing changed. %s" % " ".join(found)


def cutover_plan(state, instance_id, endpoint, now, settings=None):
    """What a cutover to endpoint ({address, port}) writes, with settings (other keys of the same Secret: the cache's
    endpoint, the buckets' names; strings): {previous, at, host, port, settings, annotations}.
    A repeated cutover to the same instance keeps the record of the first one (the values before any cutover); a
    setting the first one did not write is recorded with the value it replaces."""
    record = state["record"]
    settings = dict((key, str(value)) for key, value in (settings or {}).items())
    current_settings = state["current"].get("settings") or {}
    if record:
        previous, at = dict(record["previous"]), record["at"]
    else:
        previous = {"existed": state["exists"], "host": state["current"]["host"], "port": state["current"]["port"]}
        at = now
    if settings or previous.get("settings"):
        recorded = dict(previous.get("settings") or {})
        for key in settings:
            recorded.setdefault(key, current_settings.get(key))
        previous["settings"] = recorded
    host, port = endpoint["address"], str(endpoint["port"])
    return {"previous": previous, "at": at, "host": host, "port": port, "settings": settings,
            "annotations": {INSTANCE: instance_id, AT: at, PREVIOUS: json.dumps(previous, sort_keys=True)}}


def cutover_changes(state, plan, instance_id):
    """Whether the Secret differs from what the cutover writes."""
    if not state["exists"]:
        return True
    record = state["record"]
    if (state["current"]["host"], state["current"]["port"]) != (plan["host"], plan["port"]):
        return True
    current_settings = state["current"].get("settings") or {}
    if any(current_settings.get(key) != value for key, value in plan["settings"].items()):
        return True
    return not record or (record["instance"], record["at"], record["previous"]) != (instance_id, plan["at"], plan["previous"])


def _cutover_data(host_key, port_key, plan):
    data = dict((key, b64(value)) for key, value in plan["settings"].items())
    data.update({host_key: b64(plan["host"]), port_key: b64(plan["port"])})
    return data


def cutover_secret(name, namespace, host_key, port_key, plan):
    """The Secret a cutover creates (when it does not exist)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "annotations": plan["annotations"]},
            "data": _cutover_data(host_key, port_key, plan)}


def cutover_patch(host_key, port_key, plan):
    """The merge patch of an existing Secret (its other keys and annotations are left alone)."""
    return {"metadata": {"annotations": plan["annotations"]}, "data": _cutover_data(host_key, port_key, plan)}


def rollback_patch(host_key, port_key, previous):
    """The merge patch that writes the previous values back (null removes a key the Secret did not have) and removes
    the record."""
    values = dict(previous.get("settings") or {}, **{host_key: previous.get("host"), port_key: previous.get("port")})
    return {"metadata": {"annotations": dict((key, None) for key in RECORD_ANNOTATIONS)},
            "data": dict((key, b64(value) if value is not None else None) for key, value in values.items())}


def rollback_deletes(record):
    """A rollback deletes the Secret when the cutover created it."""
    return not (record.get("previous") or {}).get("existed", True)


def cutover_result(secret, instance_id, plan, changed, restart):
    """db_cutover_result of a cutover."""
    current = {"host": plan["host"], "port": plan["port"]}
    if plan["settings"]:
        current["settings"] = plan["settings"]
    return {"secret": secret, "instance": instance_id, "at": plan["at"], "previous": plan["previous"],
            "current": current, "changed": changed, "restarted": list(restart) if changed else []}


def rollback_result(secret, state, restart):
    """db_cutover_result of a rollback."""
    record = state["record"]
    return {"secret": secret, "rolled_back": record is not None, "instance": record["instance"] if record else None,
            "at": record["at"] if record else None, "previous": record["previous"] if record else None,
            "replaced": state["current"] if record else None, "changed": record is not None,
            "restarted": list(restart) if record else []}


def restart_patch(now):
    """What `kubectl rollout restart` does: a new pod-template annotation, so the pods are replaced."""
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}


def rollout_complete(deployment):
    """Whether a Deployment (camelCase dict) has rolled out: its controller saw the latest spec, and every wanted
    replica is updated, ready and available, with no old pod left."""
    if not deployment:
        return False
    meta, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    wanted = spec.get("replicas", 1) or 0
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return False
    return (status.get("updatedReplicas") or 0) >= wanted and (status.get("readyReplicas") or 0) >= wanted \
        and (status.get("availableReplicas") or 0) >= wanted and (status.get("replicas") or 0) <= wanted \
        and not status.get("unavailableReplicas")


def rollout_progress(name, deployment):
    status = (deployment or {}).get("status") or {}
    wanted = ((deployment or {}).get("spec") or {}).get("replicas", 1)
    return "%s: %s of %s updated, %s ready" % (name, status.get("updatedReplicas") or 0, wanted, status.get("readyReplicas") or 0)


def _settings_text(values):
    settings = values.get("settings") or {}
    return "".join(", %s=%s" % (key, settings[key] if settings[key] is not None else "(none)") for key in sorted(settings))


def step_summary(operation, result, check_mode=False, restart_seconds=None):
    """step_summary of a cutover (operation 'cutover'), a rollback ('rollback') or a read ('read')."""
    would = " (check mode)" if check_mode else ""
    measures = {"restarted": len(result.get("restarted") or [])}
    if restart_seconds is not None:
        measures["restart_seconds"] = restart_seconds
    if operation == "cutover":
        current = result["current"]
        detail = "Secret %s -> %s:%s%s (%s)%s" % (result["secret"], current["host"], current["port"], _settings_text(current),
                                                  "changed" if result["changed"] else "already", would)
    elif operation == "rollback":
        previous = result["previous"] or {}
        if not result["rolled_back"]:
            detail = "Secret %s: no cutover to roll back" % result["secret"]
        elif previous.get("existed", True):
            detail = "Secret %s back to %s:%s%s%s" % (result["secret"], previous.get("host"), previous.get("port"),
                                                      _settings_text(previous), would)
        else:
            detail = "Secret %s (created by the cutover) deleted%s" % (result["secret"], would)
    else:
        record = result.get("record")
        detail = "Secret %s %s%s" % (result["secret"], "exists" if result["exists"] else "does not exist",
                                     ", cut over to %s since %s" % (record["instance"], record["at"]) if record else "")
    if result.get("restarted"):
        detail += "; restarted %s" % ", ".join(result["restarted"])
    return steps.summary(detail, measures)
