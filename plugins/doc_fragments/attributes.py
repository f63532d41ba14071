# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes of the collection's modules (check mode, diff mode, platform), as ansible-core's
action_common_attributes fragment words them; each module says its own support."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of what would change, without changing anything.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode), when in diff mode.
  platform:
    description:
      - Runs where the task runs (usually the controller, C(localhost)) and calls the AWS, Kubernetes or database APIs
        over the network; the estate's hosts are not targets.
    support: N/A
    platforms: posix
"""

    # With the fragment above: a module that only reads.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module only reads.
"""
