#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: helm_release_check
version_added: 1.0.0
short_description: Predict the upgrade of several Helm releases of one cluster, in one process, changing nothing
description:
  - For each release of O(releases), what M(cloudops.runbooks.helm_release) in check mode says about it, without
    one module process per release; the deploy runbook's preflight checks every service of a side in one call.
  - Reads the release (C(helm status), C(helm get values)), resolves the chart (a local chart's C(Chart.yaml), or
    C(helm show chart)), computes the values helm would store and compares them; when a change is predicted and
    O(releases[].validate=true), validates the chart and values with C(helm upgrade --install --dry-run).
  - Read-only, the same in check mode; never reports a change (the predictions are in RV(results)).
  - Fails, naming the release, when helm refuses a chart or values (as M(cloudops.runbooks.helm_release) does in
    check mode); the results of the releases checked before it are returned.
  - Uses the C(helm) binary found on E(PATH) unless O(binary_path) is set.
options:
  releases:
    description:
      - The releases to check, all in the cluster of O(kubeconfig) / O(context).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Release name.
        type: str
        required: true
      namespace:
        description: Namespace of the release.
        type: str
        required: true
      chart:
        description: Chart path, C(repo/chart) or C(oci://) reference, as in M(cloudops.runbooks.helm_release).
        type: str
        required: true
      chart_version:
        description: Chart version.
        type: str
      values:
        description: Values passed last of the values files.
        type: dict
        default: {}
      values_files:
        description: Values files, in order.
        type: list
        elements: path
        default: []
      set_values:
        description: C(--set) style values, as in M(cloudops.runbooks.helm_release).
        type: list
        elements: dict
        default: []
        suboptions:
          value:
            description: C(key=value).
            type: str
            required: true
          value_type:
            description: How helm reads the value.
            type: str
            default: raw
            choices: [raw, string, json, file]
      validate:
        description:
          - Validate a predicted change with C(helm upgrade --install --dry-run). V(false) only compares (to know
            whether a release already is what was asked).
        type: bool
        default: true
      key:
        description: Returned as is in RV(results[].key), to match a result with what asked for it.
        type: str
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
  - helm (the CLI) on the control node
  - PyYAML
seealso:
  - module: cloudops.runbooks.helm_release
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Would the new version change the idle colour, and does the live colour already run it?
  cloudops.runbooks.helm_release_check:
    kubeconfig: "{{ lookup('ansible.builtin.env', 'KUBECONFIG_PRIMARY') }}"
    releases:
      - key: target
        name: shop-green
        namespace: shop
        chart: sandbox/charts/sample-app
        set_values: [{value: image.tag=1.1.0, value_type: string}]
      - key: live
        name: shop-blue
        namespace: shop
        chart: sandbox/charts/sample-app
        set_values: [{value: image.tag=1.1.0, value_type: string}]
        validate: false
  register: checks
"""

RETURN = r"""
results:
  description:
    - One entry per release of O(releases), in order, with the keys of M(cloudops.runbooks.helm_release)'s check-mode
      result.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: O(releases[].key).
      type: str
      returned: always
      sample: target
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
    previous_revision:
      description: The release's current revision (null when it is not installed).
      type: int
      returned: always
      sample: 3
    changed:
      description: Whether an upgrade would change the release.
      type: bool
      returned: always
    reasons:
      description: Why the upgrade would change it (empty when it already is what was asked).
      type: list
      elements: str
      returned: always
      sample: [values differ]
    release:
      description: The release as it would be after the upgrade (the current one when nothing would change).
      type: dict
      returned: always
      sample: {name: shop-green, namespace: shop, revision: 4, status: deployed, chart: sample-app, chart_version: 0.1.0}
    command:
      description: The helm command the upgrade would run.
      type: list
      elements: str
      returned: always
    diff:
      description: Chart, chart version and values before and after.
      type: dict
      returned: always
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli, helm_upgrade

RELEASE_SPEC = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    chart=dict(type="str", required=True),
    chart_version=dict(type="str"),
    values=dict(type="dict", default={}),
    values_files=dict(type="list", elements="path", default=[]),
    set_values=dict(type="list", elements="dict", default=[], options=dict(
        value=dict(type="str", required=True),
        value_type=dict(type="str", default="raw", choices=["raw", "string", "json", "file"]),
    )),
    validate=dict(type="bool", default=True),
    key=dict(type="str", no_log=False),
)


def main():
    argument_spec = dict(releases=dict(type="list", elements="dict", required=True, options=RELEASE_SPEC))
    argument_spec.update(helm_cli.HELM_ARG_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if helm_upgrade.YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=helm_upgrade.YAML_IMPORT_ERROR)
    for spec in module.params["releases"]:
        problem = helm_cli.release_name_problem(spec["name"])
        if problem:
            module.fail_json(msg=problem)

    helm = helm_cli.HelmRunner(module)
    current, results = {}, []

    def fail(**kwargs):
        module.fail_json(**dict(kwargs, changed=False, results=results))

    checker = _FailInto(module, fail)
    for spec in module.params["releases"]:
        where = (spec["namespace"], spec["name"])
        if where not in current:
            current[where] = helm.release(spec["name"], spec["namespace"])
        spec = dict(spec, wait=True, atomic=False, timeout="5m0s", create_namespace=False, force=False)
        checked = helm_upgrade.predict(checker, helm, spec, current[where], validate=spec["validate"])
        results.append(dict(checked, key=spec["key"], name=spec["name"], namespace=spec["namespace"]))
    module.exit_json(changed=False, results=results)


class _FailInto(object):
    """The module as helm_upgrade sees it, failing with the results gathered so far."""

    def __init__(self, module, fail):
        self._module, self._fail = module, fail
        self.tmpdir = module.tmpdir

    def fail_json(self, **kwargs):
        self._fail(**kwargs)


if __name__ == "__main__":
    main()
