#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: helm_release
version_added: 1.0.0
short_description: Install, upgrade or uninstall a Helm release, with an honest check mode and a values diff
description:
  - Runs C(helm upgrade --install) (or C(helm uninstall)) over the helm CLI and returns the release as it ends,
    with its revision numbers, chart and app versions and user-supplied values.
  - Declarative and idempotent. The values the release would store are computed like helm does (O(values_files),
    then O(values), then O(set_values) parsed by helm's C(--set) rules) and compared with C(helm get values). When
    the release is deployed with the same chart name and version and the same values, helm is not called and
    C(changed) is V(false). C(--reset-values) is always passed, so the release ends with exactly these values.
  - Check mode needs no helm plugin. It predicts the change from the same comparison, validates the chart and values
    with C(helm upgrade --install --dry-run) (C(--dry-run=client) with helm 4) when a change is predicted, and changes
    nothing in the cluster.
  - RV(previous_revision) is the revision before this task, the one a rollback returns to (see
    M(cloudops.runbooks.helm_rollback)).
  - Uses the C(helm) binary found on E(PATH) unless O(binary_path) is set.
options:
  name:
    description:
      - Release name.
    type: str
    required: true
    aliases: [release_name]
  namespace:
    description:
      - Namespace of the release.
    type: str
    required: true
    aliases: [release_namespace]
  chart:
    description:
      - The chart. One of these.
      - A local chart directory or C(.tgz) archive on the host the module runs on (an absolute path is safest).
      - A C(repo/chart) reference to a repository added with C(helm repo add).
      - An C(oci://) reference.
      - Required when O(state=present).
    type: str
    aliases: [chart_ref]
  chart_version:
    description:
      - Chart version (or version constraint) to deploy. Without it, the version a local chart declares, or the
        newest version of a repository or OCI chart (resolved once and pinned with C(--version)).
      - For a local chart, the task fails when the chart declares another version.
    type: str
  values:
    description:
      - Values for the chart, passed to helm in a temporary values file (never on the command line) after
        O(values_files). The file is removed when the module ends.
      - They are returned in RV(release.values) and RV(diff); set C(no_log) on the task when they hold secrets.
    type: dict
    default: {}
    aliases: [release_values]
  values_files:
    description:
      - Values files on the host the module runs on, merged in order before O(values).
    type: list
    elements: path
    default: []
  set_values:
    description:
      - Values set like helm's C(--set) flags, applied after O(values_files) and O(values).
      - Helm applies them by type whatever their order here. JSON ones come first, then raw, then string, then file.
      - They appear on the helm command line and in RV(command); put secrets in O(values) instead.
    type: list
    elements: dict
    default: []
    suboptions:
      value:
        description:
          - An expression such as V(image.tag=1.2.0) (several may be comma-separated, as with C(--set)).
        type: str
        required: true
      value_type:
        description:
          - V(raw) (C(--set)) types the value like helm. V(true)/V(false)/V(null) and integers are typed, anything else is a string.
          - V(string) (C(--set-string)) always gives a string.
          - V(json) (C(--set-json)) takes a JSON value.
          - V(file) (C(--set-file)) sets the content of the named file.
        type: str
        default: raw
        choices: [raw, string, json, file]
  wait:
    description:
      - Wait until the release's workloads are ready (C(--wait)) before reporting success, for at most O(timeout).
      - With O(atomic=true) helm waits in any case.
    type: bool
    default: true
  atomic:
    description:
      - Roll the release back automatically when the upgrade fails or its workloads do not become ready within
        O(timeout), with C(--atomic) on helm 3 and C(--rollback-on-failure) (its helm 4 name) on helm 4; the module
        asks C(helm version) which one applies. A failed first install is uninstalled.
      - The task still fails. The error message and RV(release) say which revision the release is left on.
    type: bool
    default: false
  timeout:
    description:
      - How long helm waits for the release's workloads and hooks, as a helm duration (V(30s), V(5m0s), V(1h)).
    type: str
    default: 5m0s
  create_namespace:
    description:
      - Create O(namespace) when it does not exist (C(--create-namespace)).
    type: bool
    default: false
  force:
    description:
      - Run C(helm upgrade) even when chart and values are unchanged, for example to redeploy a local chart whose
        templates changed without a version bump. It creates a new revision. This is not helm's C(--force).
    type: bool
    default: false
  state:
    description:
      - V(present) installs or upgrades the release. V(absent) uninstalls it (C(helm uninstall)) when it exists.
    type: str
    default: present
    choices: [present, absent]
  binary_path:
    description:
      - Path of the helm binary.
    type: path
  kubeconfig:
    description:
      - Path of the kubeconfig file (C(--kubeconfig)).
    type: path
    aliases: [kubeconfig_path]
  context:
    description:
      - Kubeconfig context to use (C(--kube-context)).
    type: str
    aliases: [kube_context]
notes:
  - A local chart whose templates changed while its version did not is not detected as a change. Bump the chart
    version or set O(force=true).
  - Values that differ only in ways helm would not store differently (a float V(1.0) against V(1)) compare equal.
requirements:
  - helm (the CLI, 3.x or 4.x) on the host the module runs on
  - PyYAML
seealso:
  - module: cloudops.runbooks.helm_rollback
  - module: cloudops.runbooks.helm_release_info
  - module: kubernetes.core.helm
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Deploy the new version to the idle colour, rolled back by helm if it does not become ready
  cloudops.runbooks.helm_release:
    name: shop-green
    namespace: shop
    chart: "{{ playbook_dir }}/../charts/sample-app"
    values:
      image:
        tag: "1.4.2"
      replicaCount: 3
    set_values:
      - value: colour=green
        value_type: string
    atomic: true
    timeout: 5m0s
    kubeconfig: "{{ lookup('ansible.builtin.env', 'KUBECONFIG_PRIMARY') }}"
  register: deploy

- name: Remember where to roll back to
  ansible.builtin.set_fact:
    shop_green_rollback_revision: "{{ deploy.previous_revision }}"

- name: A repository chart, pinned
  cloudops.runbooks.helm_release:
    name: ingress
    namespace: ingress
    chart: ingress-nginx/ingress-nginx
    chart_version: 4.11.3
    values_files:
      - /etc/cloudops/ingress-values.yaml
    create_namespace: true

- name: Remove a release
  cloudops.runbooks.helm_release:
    name: shop-canary
    namespace: shop
    state: absent
"""

RETURN = r"""
release:
  description:
    - The release after the task. In check mode, the predicted release (revision = current + 1, or 1; status
      V(deployed)).
    - V(null) when the release does not exist (after O(state=absent), or a first install that failed with O(atomic)).
  returned: always
  type: dict
  contains:
    name:
      description: Release name.
      type: str
      returned: success
      sample: shop-green
    namespace:
      description: Release namespace.
      type: str
      returned: success
      sample: shop
    revision:
      description: Current revision.
      type: int
      returned: success
      sample: 4
    status:
      description: Release status (V(deployed), V(failed), V(pending-upgrade)...).
      type: str
      returned: success
      sample: deployed
    chart:
      description: Chart name.
      type: str
      returned: success
      sample: sample-app
    chart_version:
      description: Chart version.
      type: str
      returned: success
      sample: 0.1.0
    app_version:
      description: App version of the chart.
      type: str
      returned: success
      sample: 1.0.0
    values:
      description: User-supplied values of the current revision (C(helm get values)).
      type: dict
      returned: success
      sample:
        image:
          tag: 1.4.2
        replicaCount: 3
    updated:
      description: Time of the last deployment (V(null) in a check-mode prediction).
      type: str
      returned: success
      sample: '2026-01-01T12:00:00.123456789Z'
    description:
      description: Description of the last operation as helm records it.
      type: str
      returned: success
      sample: Upgrade complete
previous_revision:
  description:
    - The release's revision before this task, the one a rollback returns to. V(null) when it was not installed.
    - When nothing changed it equals RV(release.revision).
  returned: always
  type: int
  sample: 3
command:
  description:
    - The helm command run (or, when nothing changed or in check mode, the one that would run). O(values) are in a
      temporary values file, removed after the task.
  returned: always
  type: list
  elements: str
  sample: [helm, upgrade, shop-green, /srv/charts/sample-app, --install, --namespace, shop, --reset-values, --wait, --atomic, --timeout, 5m0s]
reasons:
  description: Why the release changes (or would change); empty when nothing changes.
  returned: always
  type: list
  elements: str
  sample: [chart sample-app-0.1.0 -> sample-app-0.2.0, values differ]
diff:
  description: Chart, chart version and user values before and after (V({}) for an absent release).
  returned: always
  type: dict
  sample:
    before:
      chart: sample-app
      chart_version: 0.1.0
      values:
        replicaCount: 2
    after:
      chart: sample-app
      chart_version: 0.1.0
      values:
        replicaCount: 3
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli, helm_upgrade


def uninstall(module, helm, current, result):
    params = module.params
    installed = current is not None and current.get("status") != "uninstalled"
    args = helm_cli.uninstall_args(params["name"], params["namespace"], params["wait"], params["timeout"])
    result.update(changed=installed, release=None, command=helm.command(args), reasons=["release is installed"] if installed else [],
                  diff=dict(before=helm_cli.diff_state(current if installed else None), after={}))
    if installed and not module.check_mode:
        rc, out, err = helm.run(args, check=False)
        if rc != 0:
            summary = helm_cli.summarise_error(err, out)
            hint = helm_cli.error_hint(summary, params["timeout"])
            after = helm.release(params["name"], params["namespace"])
            result.update(changed=after is None or after.get("status") != current.get("status"), release=after)
            module.fail_json(msg="helm uninstall of release %s in namespace %s failed: %s%s"
                                 % (params["name"], params["namespace"], summary, "; " + hint if hint else ""), **result)
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["release_name"]),
        namespace=dict(type="str", required=True, aliases=["release_namespace"]),
        chart=dict(type="str", aliases=["chart_ref"]),
        chart_version=dict(type="str"),
        values=dict(type="dict", default={}, aliases=["release_values"]),
        values_files=dict(type="list", elements="path", default=[]),
        set_values=dict(type="list", elements="dict", default=[], options=dict(
            value=dict(type="str", required=True),
            value_type=dict(type="str", default="raw", choices=["raw", "string", "json", "file"]),
        )),
        wait=dict(type="bool", default=True),
        atomic=dict(type="bool", default=False),
        timeout=dict(type="str", default="5m0s"),
        create_namespace=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    argument_spec.update(helm_cli.HELM_ARG_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, required_if=[("state", "present", ["chart"])], supports_check_mode=True)
    if helm_upgrade.YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=helm_upgrade.YAML_IMPORT_ERROR)
    params = module.params
    name, namespace = params["name"], params["namespace"]
    problem = helm_cli.release_name_problem(name) or helm_cli.duration_problem(params["timeout"])
    if problem:
        module.fail_json(msg=problem)

    helm = helm_cli.HelmRunner(module)
    current = helm.release(name, namespace)
    result = dict(previous_revision=current["revision"] if current else None)
    if params["state"] == "absent":
        uninstall(module, helm, current, result)

    if module.check_mode:
        # Predicted from the same comparison; chart and values validated with helm upgrade --install --dry-run.
        result.update(helm_upgrade.predict(module, helm, params, current))
        module.exit_json(**result)

    result.update(helm_upgrade.upgrade(module, helm, params, current))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
