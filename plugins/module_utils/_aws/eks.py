# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS describe calls: a cluster and its managed node groups, as plain dicts."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, paginate


def describe_cluster(module, conn, name):
    """The cluster (boto3 shape), or None when it does not exist."""
    try:
        return conn.describe_cluster(name=name, aws_retry=True)["cluster"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe EKS cluster %s: check the region and eks:DescribeCluster permission" % name)


def describe_nodegroups(module, conn, cluster, known=None, names=None):
    """Every managed node group of the cluster (boto3 shape), sorted by name. known: {name: node group} just
    described by the caller (not described again). names: the node groups an earlier read of the run found: each is
    described by name and the cluster's node groups are not listed, unless one of them is gone (then they are)."""
    known = dict(known or {})
    if names:
        for name in sorted(set(names)):
            known[name] = known.get(name) or describe_nodegroup(module, conn, cluster, name)
        if all(known.get(name) for name in names):
            return [known[name] for name in sorted(set(names))]
    try:
        names = paginate(conn, "list_nodegroups", clusterName=cluster).get("nodegroups", [])
        return [known.get(name) or conn.describe_nodegroup(clusterName=cluster, nodegroupName=name, aws_retry=True)["nodegroup"]
                for name in sorted(names)]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not list node groups of EKS cluster %s: check eks:ListNodegroups/DescribeNodegroup permissions" % cluster)


def nodegroup_view(group):
    """A node group (boto3 shape) as eks_cluster_info returns it."""
    scaling = group.get("scalingConfig") or {}
    return {
        "name": group["nodegroupName"],
        "status": group.get("status"),
        "scaling_config": {"min_size": scaling.get("minSize"), "max_size": scaling.get("maxSize"), "desired_size": scaling.get("desiredSize")},
        "instance_types": group.get("instanceTypes") or [],
        "capacity_type": group.get("capacityType"),
    }


def cluster_info(module, conn, name, region, fail_when_missing=True):
    """What eks_cluster_info returns: {region, exists, cluster: {name, arn, status, version, endpoint}, nodegroups}.
    A missing cluster fails the module, or with fail_when_missing=False is {exists: False, cluster: {}, nodegroups: []}."""
    return cluster_read(module, conn, name, region, fail_when_missing)["info"]


def cluster_read(module, conn, name, region, fail_when_missing=True, known=None, nodegroup_names=None):
    """{info: cluster_info's answer, cluster: the cluster (boto3 shape, None when missing), nodegroups: its node groups
    (boto3 shape)}: the describes as read, for a caller that judges more than the info (estate_status's readiness).
    known: {node group name: node group} the caller has just described (not described again). nodegroup_names: the
    node groups an earlier read of the run found (described by name, not listed; see describe_nodegroups)."""
    cluster = describe_cluster(module, conn, name)
    if cluster is None:
        if fail_when_missing:
            module.fail_json(msg="EKS cluster %s not found in %s: check cluster_name and region" % (name, region))
        return {"info": {"exists": False, "cluster": {}, "nodegroups": []}, "cluster": None, "nodegroups": []}
    groups = describe_nodegroups(module, conn, name, known, nodegroup_names)
    info = {
        "region": region,
        "exists": True,
        "cluster": dict((key, cluster.get(key)) for key in ("name", "arn", "status", "version", "endpoint")),
        "nodegroups": [nodegroup_view(group) for group in groups],
    }
    return {"info": info, "cluster": cluster, "nodegroups": groups}


def describe_nodegroup(module, conn, cluster, name):
    """One managed node group (boto3 shape), or None when it (or its cluster) does not exist."""
    try:
        return conn.describe_nodegroup(clusterName=cluster, nodegroupName=name, aws_retry=True)["nodegroup"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe node group %s of EKS cluster %s: check the region and "
                             "eks:DescribeNodegroup permission" % (name, cluster))


def update_nodegroup_scaling(module, conn, cluster, name, scaling_config, **context):
    """UpdateNodegroupConfig with a new scalingConfig; returns the update (id, status, ...). A lost response is
    followed by a describe: the node group already scaled that way (or an update in progress to it) is the answer,
    with its id when the update can be found."""
    def applied():
        nodegroup = conn.describe_nodegroup(clusterName=cluster, nodegroupName=name, aws_retry=True)["nodegroup"]
        now = nodegroup.get("scalingConfig") or {}
        update = _update_to(conn, cluster, name, scaling_config)
        if update is None and all(now.get(key) == value for key, value in scaling_config.items()):
            update = {"id": None, "type": "ConfigUpdate",
                      "status": "InProgress" if nodegroup.get("status") == "UPDATING" else "Successful"}
        return {"update": update} if update else None

    try:
        return apply(conn.update_nodegroup_config, dict(clusterName=cluster, nodegroupName=name, scalingConfig=scaling_config),
                     applied)["update"]
    except is_boto3_error_code("ResourceInUseException") as e:
        module.fail_json_aws(e, msg="node group %s of %s is being updated by someone else: run again when it is ACTIVE"
                             % (name, cluster), **context)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not update the scaling of node group %s of %s: check the sizes against the "
                             "account's EC2 limits and eks:UpdateNodegroupConfig permission" % (name, cluster), **context)


def _update_to(conn, cluster, name, scaling_config):
    """The node group's InProgress ConfigUpdate that sets this scalingConfig, or None (also when the updates cannot
    be listed: one attempt each, this is only a better answer than the scalingConfig check that follows)."""
    wanted = dict((key, str(value)) for key, value in scaling_config.items())
    try:
        ids = conn.list_updates(name=cluster, nodegroupName=name).get("updateIds", [])
        for update_id in reversed(ids[-5:]):
            update = conn.describe_update(name=cluster, nodegroupName=name, updateId=update_id)["update"]
            params = dict((item.get("type"), item.get("value")) for item in update.get("params", []))
            scaling = _scaling_params(params.get("MinSize"), params.get("MaxSize"), params.get("DesiredSize"))
            sizes = dict((key, str(value)) for key, value in scaling.items())
            if update.get("status") == "InProgress" and update.get("type") == "ConfigUpdate" and sizes == wanted:
                return update
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, KeyError):
        return None
    return None


def _scaling_params(min_size, max_size, desired_size):
    values = {"minSize": min_size, "maxSize": max_size, "desiredSize": desired_size}
    return dict((key, value) for key, value in values.items() if value is not None)
