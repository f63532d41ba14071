"""Paths of a sandbox state directory and the inventory the seeder reads.

The inventory (inventories/sandbox/group_vars/all/{estate.yml,sandbox.yml}) is the single source of names: the
runbooks read the same `cloudops_*` keys, so what the seeder creates is what the runbooks look for.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = ".sandbox"
DEFAULT_INVENTORY = "inventories/sandbox"
STATE_ENV_VAR = "CLOUDOPS_SANDBOX_STATE"

# Dummy credentials: moto accepts anything, but botocore refuses to sign without some.
AWS_ACCESS_KEY_ID = "testing"
AWS_SECRET_ACCESS_KEY = "testing"
MOTO_ACCOUNT_ID = "123456789012"  # moto's default account
# Seed for moto's random generator (POST /moto-api/seed): identical IDs/ARNs after every `up` and `reset`.
MOTO_RANDOM_SEED = 4242
CLUSTERS = ("primary", "dr")
# User agent extra of the sandbox's own boto3 clients (faults.py exempts them).
SANDBOX_USER_AGENT = "cloudops-sandbox"


def resolve_state_dir(arg: str | None) -> Path:
    """--state-dir, else $CLOUDOPS_SANDBOX_STATE, else .sandbox (relative to the current directory)."""
    return Path(arg or os.environ.get(STATE_ENV_VAR) or DEFAULT_STATE_DIR).resolve()


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def pid(self) -> Path:  # the daemon's pid (it is also the leader of its process group)
        return self.root / "sandbox.pid"

    @property
    def daemon(self) -> Path:  # written by the daemon once all its servers listen: ports and urls
        return self.root / "daemon.json"

    @property
    def info(self) -> Path:  # written by `up` after seeding: everything machine-readable
        return self.root / "sandbox.json"

    @property
    def env(self) -> Path:
        return self.root / "env"

    @property
    def knobs(self) -> Path:  # knob settings that must outlive one call (replica lag level for the ticker)
        return self.root / "knobs.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def seed_dir(self) -> Path:  # generated Helm values files
        return self.root / "seed"

    def kubeconfig(self, cluster: str) -> Path:
        return self.root / f"kubeconfig-{cluster}.yaml"


def _drop_templated(value: Any) -> Any:
    """Remove Jinja-templated values: they are for Ansible, the seeder cannot (and need not) render them."""
    if isinstance(value, dict):
        return {k: _drop_templated(v) for k, v in value.items() if not (isinstance(v, str) and "{{" in v)}
    if isinstance(value, list):
        return [_drop_templated(v) for v in value if not (isinstance(v, str) and "{{" in v)]
    return value


def resolve_inventory(arg: str | None) -> Path:
    """The inventory directory: as given, else relative to the cwd, else relative to the repository root."""
    path = Path(arg or DEFAULT_INVENTORY)
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path
    return path.resolve()


def inventory_files(inventory_dir: Path) -> list[Path]:
    """The files Ansible reads for the group `all`: group_vars/all.yml (or .yaml), then group_vars/all/*.yml|yaml in
    name order (sandbox.yml among them)."""
    group_vars = Path(inventory_dir) / "group_vars"
    files = [group_vars / f"all{ext}" for ext in (".yml", ".yaml") if (group_vars / f"all{ext}").is_file()]
    if (group_vars / "all").is_dir():
        files += sorted(p for p in (group_vars / "all").iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    return files


def load_inventory(inventory_dir: Path) -> dict[str, Any]:
    """Merge the group `all`'s variables (every file of group_vars/all: estate, failover, failback, sandbox.yml ...)
    into one dict, then check them against the sandbox's schema (sandbox/schema.py): ValueError naming each missing or
    wrong key. `sandbox_seed` comes back with every default filled in."""
    from sandbox import schema

    merged: dict[str, Any] = {}
    files = inventory_files(Path(inventory_dir))
    if not files:
        raise ValueError(f"{inventory_dir}: no group_vars/all.yml or group_vars/all/*.yml: not an inventory directory")
    for path in files:
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a mapping of variables")
        merged.update(_drop_templated(data))
    merged["sandbox_seed"] = schema.validate(merged, Path(inventory_dir))
    return merged


def sides(inv: dict[str, Any]) -> tuple[str, ...]:
    """The estate's sides: ("primary", "dr"), or ("primary",) for a one-region estate (no `cloudops_regions.dr`:
    docs/one-region.md). Every DR piece the seeder creates (VPC, ALB, cluster, replica, Route 53 failover pair)
    follows from it."""
    return ("primary", "dr") if (inv.get("cloudops_regions") or {}).get("dr") else ("primary",)


def replica(inv: dict[str, Any]) -> dict[str, Any] | None:
    """The estate's DR replica (cloudops_rds.replica), None for an estate without one."""
    return (inv.get("cloudops_rds") or {}).get("replica") or None


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: readers polling for the file never see half of it."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def aws_client(service: str, endpoint_url: str, region: str):
    """A boto3 client for the sandbox's moto server, with few retries (moto answers unimplemented calls with 500).

    Its user agent carries SANDBOX_USER_AGENT: the sandbox's own calls (seeder, knobs, tickers) are neither counted
    in the API call log nor faulted nor timed."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=AWS_ACCESS_KEY_ID,
        aws_secret_access_key=AWS_SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, user_agent_extra=SANDBOX_USER_AGENT),
    )
