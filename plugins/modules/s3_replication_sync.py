#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_replication_sync
version_added: 1.1.0
short_description: Before a failback, copy back to each primary bucket what its DR bucket took since the failover
description:
  - After a real failover the application writes to the DR buckets, and cross-region replication copies primary to
    DR only. Before the failback points the application back to the primary region, this module makes every primary
    bucket serve what its DR bucket took since the failover's cut O(since).
  - For each bucket of O(buckets), lists the versions of the DR bucket (under O(buckets[].prefix)); every key whose
    newest version in DR dates from O(since) or later is looked up in the primary bucket. It is copied (CopyObject
    across regions, metadata, content headers and tags kept) when the primary lacks it - no such key, or an older
    different version. It is already present when the primary's current version has the same version id (a
    replica), is a copy this module made (its metadata C(cloudops-synced-from) names the DR version) or has the same
    ETag.
  - A key deleted in DR since the cut (its newest entry a delete marker) that the primary still serves is reported
    (RV(buckets[].removed)); with O(delete_removed) it is deleted in the primary (a delete marker; its versions stay).
  - A key whose current version in the primary is newer than DR's and different is left as it is and reported
    (RV(buckets[].conflicts)). A version over 5 GiB (CopyObject's limit) is not copied and fails the task, naming it,
    after the other keys are copied.
  - The readiness probe's objects (C(.cloudops-readiness/)) and the drill markers (C(cloudops-drill/)) are skipped.
  - Idempotent - a second run copies nothing. A lost response never copies or deletes twice.
options:
  buckets:
    description: The S3 buckets replicated to DR (the inventory's C(cloudops_buckets)).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The primary bucket (the copies go there)., type: str, required: true}
      dr_name: {description: Its copy in DR (read only)., type: str, required: true}
      prefix: {description: Only keys under it are synced (default the whole bucket)., type: str, default: ""}
      region: {description: The primary bucket's region (default O(regions.primary))., type: str}
      dr_region: {description: The DR bucket's region (default O(regions.dr))., type: str}
  regions:
    description: The estate's regions (C(cloudops_regions)), the default regions of O(buckets). Needed unless each
      bucket gives both.
    type: dict
    suboptions:
      primary: {description: The primary region., type: str}
      dr: {description: The DR region., type: str}
  since:
    description:
      - The failover's cut (ISO 8601, no zone = UTC), when the application began writing to DR, for example the
        failover record's start. Keys whose newest DR version is older are not looked at.
      - S3 lists times in whole seconds, so a key written in the cut's second is looked at too.
    type: str
    required: true
  delete_removed:
    description: Delete in the primary bucket the keys deleted in DR since O(since) (a delete marker; the older
      versions stay). By default they are only reported.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads both sides and counts what it would copy and delete; copies nothing.
  diff_mode:
    support: full
    description: Per primary bucket, the keys it copies or deletes, before (the current version or absent) and after.
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Failback | bring back to the primary buckets what the application wrote in DR
  cloudops.runbooks.s3_replication_sync:
    buckets: "{{ cloudops_buckets }}"
    regions: "{{ cloudops_regions }}"
    since: "{{ failover_record.started_at }}"
  register: bucket_sync

- name: Failback | what would be copied (nothing changes)
  cloudops.runbooks.s3_replication_sync:
    buckets: [{name: shop-assets-use1, dr_name: shop-assets-usw2}]
    regions: {primary: us-east-1, dr: us-west-2}
    since: "2026-12-07T01:15:00Z"
    delete_removed: true
  check_mode: true
"""

RETURN = r"""
buckets:
  description: One entry per bucket of O(buckets), in their order (in check mode, what would be copied and deleted).
  returned: always
  type: list
  elements: dict
  contains:
    bucket: {description: The primary bucket., type: str, returned: always}
    dr_bucket: {description: The DR bucket., type: str, returned: always}
    region: {description: The primary bucket's region., type: str, returned: always}
    dr_region: {description: The DR bucket's region., type: str, returned: always}
    examined: {description: Keys whose newest DR version or delete marker dates from O(since) or later., type: int, returned: always}
    copied: {description: Keys copied from DR to the primary., type: int, returned: always}
    already_present:
      description: Keys the primary already served (same version, an earlier copy or same ETag).
      type: int
      returned: always
    removed: {description: Keys deleted in DR since O(since) that the primary still served., type: int, returned: always}
    deleted:
      description: Of those, the keys deleted in the primary (O(delete_removed)).
      type: int
      returned: always
    conflicts:
      description: Keys whose primary version is newer than DR's and different (left as they are).
      type: int
      returned: always
    too_large: {description: Keys over 5 GiB not copied (the task fails)., type: int, returned: always}
    keys: {description: The first 20 keys copied., type: list, elements: str, returned: always}
    removed_keys: {description: The first 20 keys deleted in DR since O(since)., type: list, elements: str, returned: always}
    deleted_keys: {description: The first 20 keys deleted in the primary., type: list, elements: str, returned: always}
    conflict_keys: {description: The first 20 conflicting keys., type: list, elements: str, returned: always}
    too_large_keys: {description: The first 20 keys over 5 GiB., type: list, elements: str, returned: always}
    delete_removed: {description: O(delete_removed) as given., type: bool, returned: always}
  sample:
    - {bucket: shop-assets-use1, dr_bucket: shop-assets-usw2, region: us-east-1, dr_region: us-west-2, examined: 3, copied: 2,
       already_present: 1, removed: 0, deleted: 0, conflicts: 0, too_large: 0, keys: [img/a.png, img/b.png], removed_keys: [],
       deleted_keys: [], conflict_keys: [], too_large_keys: [], delete_removed: false}
totals:
  description: The sums over the buckets (C(buckets), C(examined), C(copied), C(already_present), C(removed), C(deleted),
    C(conflicts), C(too_large)).
  returned: always
  type: dict
  sample: {buckets: 1, examined: 3, copied: 2, already_present: 1, removed: 0, deleted: 0, conflicts: 0, too_large: 0}
since:
  description: O(since) as read (UTC).
  returned: always
  type: str
  sample: "2026-12-07T01:15:00Z"
step_summary:
  description: The standard step result (what was copied, one gate per bucket, failed when keys were left behind).
  returned: always
  type: dict
  sample: {detail: "copied 2 object(s) the DR bucket(s) took since 2026-12-07T01:15:00Z back to 1 primary bucket(s); 1 already
    there", measures: {copied: 2}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import bucket_sync
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3_sync


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            buckets=dict(state_stores.buckets_argument_spec(), required=True),
            regions=dict(type="dict", options=dict(primary=dict(type="str"), dr=dict(type="str"))),
            since=dict(type="str", required=True),
            delete_removed=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = bucket_sync.region_problems(p["buckets"], p["regions"])
    try:
        since = bucket_sync.parse_since(p["since"])
    except bucket_sync.SyncError as e:
        problems.append(str(e))
    if problems:
        module.fail_json(msg="s3_replication_sync refused, nothing copied: %s" % " ".join(problems))
    done = [s3_sync.sync_bucket(module, spec, p["regions"] or {}, since, p["delete_removed"], module.check_mode)
            for spec in p["buckets"]]
    results = [result for result, dummy, dummy2 in done]
    total = bucket_sync.totals(results)
    out = dict(changed=bool(total["copied"] or total["deleted"]), buckets=results, totals=total, since=bucket_sync.iso(since),
               step_summary=bucket_sync.step_summary(results, total, since, module.check_mode))
    if module._diff:
        out["diff"] = bucket_sync.diff(done)
    message = bucket_sync.fail_message(results)
    if message:
        module.fail_json(msg=message, **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
