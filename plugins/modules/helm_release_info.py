#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: helm_release_info
version_added: 1.0.0
short_description: List Helm releases with their status
description:
  - Runs C(helm list --output json) and, for each release, C(helm status --output json), and returns the
    releases with status, revision, chart, app version, description and user-supplied values.
  - Uses the C(helm) binary found on E(PATH) unless O(binary_path) is set.
  - With O(history=true), also C(helm history --output json) of each release.
  - Read-only; runs the same in check mode.
options:
  release_name:
    description:
      - Only this release (exact name). Without it, every release of the namespace(s).
    type: str
    aliases: [name]
  release_names:
    description:
      - Only these releases (exact names); one C(helm list) of the namespace, then C(helm status) of these releases
        only, however many other releases the namespace holds. A name that is not listed is not returned.
      - Mutually exclusive with O(release_name).
    type: list
    elements: str
    version_added: 1.0.0
  release_namespace:
    description:
      - Namespace to list. Without it and without O(all_namespaces), helm uses the namespace of the kubeconfig context.
    type: str
    aliases: [namespace]
  all_namespaces:
    description:
      - List the releases of every namespace.
    type: bool
    default: false
  all_statuses:
    description:
      - Also list releases that are not deployed or failed (pending, uninstalling, superseded), like C(helm list --all).
    type: bool
    default: false
  history:
    description:
      - Add each release's revision history (C(helm history)), oldest first, as RV(releases[].history).
    type: bool
    default: false
    version_added: 1.0.0
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
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Releases of the shop namespace in the primary cluster
  cloudops.runbooks.helm_release_info:
    release_namespace: shop
    kubeconfig: "{{ lookup('ansible.builtin.env', 'KUBECONFIG_PRIMARY') }}"
  register: helm_primary

- name: One release
  cloudops.runbooks.helm_release_info:
    release_name: shop-green
    release_namespace: shop
  register: green

- name: The two colours of a service, without reading the other releases of the namespace
  cloudops.runbooks.helm_release_info:
    release_names: [shop-blue, shop-green]
    release_namespace: shop
    all_statuses: true
  register: colours

- name: One release with its revisions, to choose a rollback target
  cloudops.runbooks.helm_release_info:
    release_name: shop-green
    release_namespace: shop
    history: true
  register: green_history
"""

RETURN = r"""
releases:
  description: Releases, sorted by namespace and name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Release name.
      type: str
      returned: always
      sample: shop-blue
    namespace:
      description: Release namespace.
      type: str
      returned: always
      sample: shop
    revision:
      description: Current revision.
      type: int
      returned: always
      sample: 3
    updated:
      description: Time of the last change as helm prints it.
      type: str
      returned: always
      sample: 2026-01-01 12:00:00.000000 +0000 UTC
    status:
      description: Release status from C(helm status).
      type: str
      returned: always
      sample: deployed
    chart:
      description: Chart name and version.
      type: str
      returned: always
      sample: sample-app-0.1.0
    app_version:
      description: App version of the chart.
      type: str
      returned: always
      sample: 1.0.0
    description:
      description: Description of the last operation.
      type: str
      returned: always
      sample: Install complete
    first_deployed:
      description: First deployment time.
      type: str
      returned: always
      sample: '2026-01-01T12:00:00Z'
    last_deployed:
      description: Last deployment time.
      type: str
      returned: always
      sample: '2026-01-01T12:00:00Z'
    values:
      description: User-supplied values of the current revision.
      type: dict
      returned: always
      sample:
        replicaCount: 2
    history:
      description: Revisions of the release, oldest first (C(helm history)).
      type: list
      elements: dict
      returned: when O(history=true)
      version_added: 1.0.0
      contains:
        revision:
          description: Revision number.
          type: int
          returned: always
          sample: 2
        status:
          description: Status of the revision (V(superseded), V(deployed), V(failed)...).
          type: str
          returned: always
          sample: superseded
        chart:
          description: Chart name and version.
          type: str
          returned: always
          sample: sample-app-0.1.0
        app_version:
          description: App version of the chart.
          type: str
          returned: always
          sample: 1.0.0
        updated:
          description: Time of the revision's deployment.
          type: str
          returned: always
          sample: '2026-01-01T12:00:00.123456789Z'
        description:
          description: What helm recorded for the revision.
          type: str
          returned: always
          sample: Upgrade complete
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli


def main():
    argument_spec = dict(
        release_name=dict(type="str", aliases=["name"]),
        release_names=dict(type="list", elements="str"),
        release_namespace=dict(type="str", aliases=["namespace"]),
        all_namespaces=dict(type="bool", default=False),
        all_statuses=dict(type="bool", default=False),
        history=dict(type="bool", default=False),
    )
    argument_spec.update(helm_cli.HELM_ARG_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[("release_namespace", "all_namespaces"), ("release_name", "release_names")],
                           supports_check_mode=True)
    params = module.params
    helm = helm_cli.HelmRunner(module)

    names = [params["release_name"]] if params["release_name"] else params["release_names"]
    releases = helm.releases(params["release_namespace"], params["all_namespaces"], params["all_statuses"], names, params["history"])
    module.exit_json(changed=False, releases=releases)


if __name__ == "__main__":
    main()
