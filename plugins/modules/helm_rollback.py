#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: helm_rollback
version_added: 1.0.0
short_description: Roll a Helm release back to a chosen revision or the previous one
description:
  - Runs C(helm rollback) over the helm CLI. Helm records the rollback as a new revision with the chart and
    user-supplied values of the target revision.
  - Idempotent. When the current revision is deployed with the target revision's chart and values already, helm
    is not called and C(changed) is V(false). A second run with the same O(revision) changes nothing.
  - Check mode predicts the new revision from C(helm history) and C(helm get values) and changes nothing.
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
  revision:
    description:
      - Revision to roll back to, for example RV(cloudops.runbooks.helm_release#module:previous_revision) of the
        deploy being undone.
      - Without it, the newest revision before the current one, whatever its status (what C(helm rollback) does).
        Each run then goes one more revision back, so pass O(revision) for an idempotent task.
      - The task fails, listing the existing revisions, when this one does not exist.
    type: int
  wait:
    description:
      - Wait until the release's workloads are ready (C(--wait)) before reporting success, for at most O(timeout).
    type: bool
    default: true
  timeout:
    description:
      - How long helm waits for the workloads and hooks, as a helm duration (V(30s), V(5m0s), V(1h)).
    type: str
    default: 5m0s
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
requirements:
  - helm (the CLI, 3.x or 4.x) on the host the module runs on
seealso:
  - module: cloudops.runbooks.helm_release
  - module: cloudops.runbooks.helm_release_info
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
- name: Deploy
  cloudops.runbooks.helm_release:
    name: shop-green
    namespace: shop
    chart: /srv/charts/sample-app
    values: "{{ shop_values }}"
  register: deploy

- name: Undo the deploy when the smoke test failed
  cloudops.runbooks.helm_rollback:
    name: shop-green
    namespace: shop
    revision: "{{ deploy.previous_revision }}"
    timeout: 2m
  when: smoke_test is failed and deploy.previous_revision is not none

- name: Back to the previous revision, whatever it is
  cloudops.runbooks.helm_rollback:
    name: shop-green
    namespace: shop
"""

RETURN = r"""
rolled_back_to:
  description: The target revision, whose chart and values the release now has (or already had).
  returned: always
  type: int
  sample: 3
previous_revision:
  description: The release's revision before this task.
  returned: always
  type: int
  sample: 5
release:
  description:
    - The release after the task (in check mode, the predicted release), as
      RV(cloudops.runbooks.helm_release#module:release) returns it.
  returned: always
  type: dict
  contains:
    name:
      description: Release name.
      type: str
      returned: always
      sample: shop-green
    namespace:
      description: Release namespace.
      type: str
      returned: always
      sample: shop
    revision:
      description: Current revision (a rollback creates one).
      type: int
      returned: always
      sample: 6
    status:
      description: Release status.
      type: str
      returned: always
      sample: deployed
    chart:
      description: Chart name.
      type: str
      returned: always
      sample: sample-app
    chart_version:
      description: Chart version.
      type: str
      returned: always
      sample: 0.1.0
    app_version:
      description: App version of the chart.
      type: str
      returned: always
      sample: 1.0.0
    values:
      description: User-supplied values of the current revision.
      type: dict
      returned: always
      sample:
        replicaCount: 2
    updated:
      description: Time of the last deployment (V(null) in a check-mode prediction).
      type: str
      returned: always
      sample: '2026-01-01T12:00:00.123456789Z'
    description:
      description: Description of the last operation.
      type: str
      returned: always
      sample: Rollback to 3
command:
  description: The helm command run (or, when nothing changed or in check mode, the one that would run).
  returned: always
  type: list
  elements: str
  sample: [helm, rollback, shop-green, '3', --namespace, shop, --wait, --timeout, 5m0s]
diff:
  description: Chart, chart version and user values of the current revision (before) and of the target (after).
  returned: always
  type: dict
  sample:
    before:
      chart: sample-app
      chart_version: 0.1.0
      values:
        replicaCount: 3
    after:
      chart: sample-app
      chart_version: 0.1.0
      values:
        replicaCount: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli, helm_rollbacks


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["release_name"]),
        namespace=dict(type="str", required=True, aliases=["release_namespace"]),
        revision=dict(type="int"),
        wait=dict(type="bool", default=True),
        timeout=dict(type="str", default="5m0s"),
    )
    argument_spec.update(helm_cli.HELM_ARG_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name, namespace = params["name"], params["namespace"]
    problem = helm_cli.duration_problem(params["timeout"])
    if problem:
        module.fail_json(msg=problem)

    helm = helm_cli.HelmRunner(module)
    module.exit_json(**helm_rollbacks.rollback(module, helm, name, namespace, params["revision"], params["wait"], params["timeout"],
                                               module.check_mode))


if __name__ == "__main__":
    main()
