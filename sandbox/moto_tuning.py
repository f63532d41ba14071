"""moto's costs the sandbox does not need, taken off in the daemon (every reset and seeding pays them otherwise).

- EC2 backends load ~1,300 public AMIs per region each time moto creates them (at start and after every reset:
  ~0.4 s of the daemon's CPU per reset). The estate launches its instances from one AMI (aws_seed.AMI_ID):
  MOTO_AMIS_PATH points moto at a list holding that one, which also skips the per-region "latest" lists.
- EKS's CreateCluster and CreateNodegroup check the role ARN's partition against a botocore Session built for each
  call (endpoints.json parsed again: ~0.3 s a call). The partitions are read once.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

AMIS_FILE = Path(__file__).with_name("moto_amis.json")


def prepare_environment() -> None:
    """Before moto's EC2 models are imported (they read MOTO_AMIS_PATH at import); a value already set is kept."""
    os.environ.setdefault("MOTO_AMIS_PATH", str(AMIS_FILE))


ROLE_ARN = re.compile("arn:(?P<partition>.+):iam::(?P<account_id>[0-9]{12}):role/.+")  # moto.eks.utils' rule


@functools.lru_cache(maxsize=None)
def _partitions() -> frozenset[str]:
    from botocore.session import Session

    return frozenset(Session().get_available_partitions())


def validate_role_arn(arn: str) -> None:
    """moto.eks.utils.validate_role_arn with the partitions read once: same rule, same error."""
    from moto.eks.exceptions import InvalidParameterException

    match = ROLE_ARN.match(arn or "")
    if not (arn and match and match.group("partition") in _partitions()):
        raise InvalidParameterException(message="Invalid Role Arn: '" + arn + "'")


def install() -> None:
    """In this process: EKS's models call the role-ARN check above."""
    import moto.eks.models as eks_models

    eks_models.validate_role_arn = validate_role_arn
