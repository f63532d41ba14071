# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster options of the modules that talk to Kubernetes through the official client (module_utils/_k8s/client.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description: Path to the kubeconfig; default the client's usual lookup (C(KUBECONFIG), C(~/.kube/config)).
    type: path
    aliases: [kubeconfig_path]
  context:
    description: Kubeconfig context to use.
    type: str
    aliases: [kube_context]
requirements:
  - kubernetes >= 24.2.0 (the official Python client)
"""
