# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`helm rollback` of a release to a revision of its history, only when the content would change (helm_rollback,
and the deploy's rollback module). Command lines and decisions are helm_cli's pure functions."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli


def history_state(entry, values):
    name, version = helm_cli.split_chart(entry.get("chart"))
    return {"chart": name, "chart_version": version, "values": values}


def rollback(module, helm, name, namespace, revision=None, wait=True, timeout="5m0s", check_mode=False):
    """helm_rollback's result: {changed, rolled_back_to, previous_revision, command, diff, release}. Fails the module
    (fail_json) for a missing release, a revision not in its history, or a failed rollback (saying where it is)."""
    history = helm.history(name, namespace)
    if not history:
        module.fail_json(msg="release %s not found in namespace %s: nothing to roll back; check name, namespace, kubeconfig "
                             "and context" % (name, namespace))
    try:
        current, target = helm_cli.rollback_target(history, revision)
    except ValueError as e:
        module.fail_json(msg="cannot roll back release %s in namespace %s: %s" % (name, namespace, e),
                         history=history)

    current_values = helm.values(name, namespace, current["revision"])
    target_values = current_values if target["revision"] == current["revision"] else helm.values(name, namespace, target["revision"])
    args = helm_cli.rollback_args(name, target["revision"], namespace, wait, timeout)
    result = dict(
        changed=helm_cli.rollback_needed(current, current_values, target, target_values),
        rolled_back_to=target["revision"],
        previous_revision=current["revision"],
        command=helm.command(args),
        diff=dict(before=history_state(current, current_values), after=history_state(target, target_values)),
    )
    if not result["changed"]:
        return dict(result, release=helm.release(name, namespace))
    if check_mode:
        return dict(result, release=helm_cli.predicted_rollback(name, namespace, current, target, target_values))

    rc, out, err = helm.run(args, check=False)
    after = helm.release(name, namespace)
    if rc != 0:
        summary = helm_cli.summarise_error(err, out)
        hint = helm_cli.error_hint(summary, timeout)
        result["changed"] = (after or {}).get("revision") != current["revision"]
        module.fail_json(msg="helm rollback of release %s in namespace %s to revision %s failed: %s. The release is at revision %s "
                             "with status %s.%s" % (name, namespace, target["revision"], summary, (after or {}).get("revision"),
                                                    (after or {}).get("status"), " Hint: %s." % hint if hint else ""),
                         release=after, **result)
    return dict(result, release=after)
