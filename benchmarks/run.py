"""`make bench`: this collection's runbooks against a baseline of peer modules, on a sandbox of its own.

    .venv/bin/python -m benchmarks.run [--scale 0.05] [--scenarios drill,deploy,switch] [--services 1,10,50,200]

For each scenario and implementation: `python -m sandbox reset`, the realistic timing profile at --scale, an empty API
call log, one ansible-playbook run, then the log: wall time, detection latency of each waited state change, AWS calls
by kind, the time the runbook adds beyond the modelled operations. Tables go to stdout and build/bench/results.md
(results.json beside it); the exit status is 1 when a target fails. The sandbox (build/bench-sandbox) is started
fresh and stopped at the end unless --keep-sandbox. Playbook output: build/bench/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks import measure, report, switching

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEPLOY_VARS = ["-e", "deploy_version=1.1.0", "-e", "deploy_service=web"]
SANDBOX_INVENTORY = ["-i", "inventories/sandbox"]


def runbook_commands(estate_vars: Path) -> dict[str, dict[str, list[str]]]:
    """ansible-playbook arguments of each runbook scenario, per implementation."""
    return {
        "drill": {"collection": ["playbooks/failover_drill.yml", *SANDBOX_INVENTORY],
                  "baseline": ["benchmarks/baseline/failover_drill.yml", *SANDBOX_INVENTORY,
                               "-e", "@%s" % estate_vars]},
        "deploy": {"collection": ["playbooks/deploy.yml", *SANDBOX_INVENTORY, *DEPLOY_VARS],
                   "baseline": ["benchmarks/baseline/deploy.yml", *SANDBOX_INVENTORY, *DEPLOY_VARS]},
    }


SWITCH_PLAYBOOKS = {"collection": "benchmarks/switch/collection.yml", "baseline": "benchmarks/switch/baseline.yml"}


def clean_env() -> dict[str, str]:
    """This environment without AWS or Kubernetes settings (the sandbox's env file provides them)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "KUBECONFIG", "CLOUDOPS_SANDBOX", "ANSIBLE_"))}


def read_env_file(path: Path) -> dict[str, str]:
    """The variables `source <state>/env` sets, read by bash itself."""
    out = subprocess.run(["bash", "-c", 'set -a; source "$1"; env -0', "_", str(path)], env=clean_env(),
                         capture_output=True, check=True).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


class Bench:
    """The benchmark's sandbox and its runs."""

    def __init__(self, state: Path, out: Path, scale: float):
        self.state, self.out, self.scale = state, out, scale
        self.logs = out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.estate_vars = out / "baseline-estate.yml"
        self.switch_vars = out / "switch-services.yml"
        self.sb: Any = None

    def sandbox(self, *args: str) -> str:
        proc = subprocess.run([PYTHON, "-m", "sandbox", *args, "--state-dir", str(self.state)], cwd=REPO,
                              env=clean_env(), capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError("python -m sandbox %s failed:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc.stdout.strip()

    def start(self, fresh: bool) -> None:
        if fresh:
            self.sandbox("down")
        print(self.sandbox("up").splitlines()[0], flush=True)
        self.connect()

    def connect(self) -> None:
        from sandbox import knobs

        self.sb = knobs.Sandbox(self.state)
        try:
            knobs.timing_state(self.sb)
        except (AttributeError, OSError) as exc:  # urllib's HTTPError (404) is an OSError
            raise RuntimeError("the sandbox in %s has no timing profile or API call log (%s): a daemon started before "
                               "they existed? Run without --keep-sandbox to start a fresh one." % (self.state, exc))

    def stop(self) -> None:
        self.sandbox("down")

    def reset(self) -> None:
        """The seeded estate, then what the sandbox lacks and real AWS has, under the instant profile."""
        self.sandbox("reset")
        self.connect()
        # moto's node groups have no updateConfig; EKS always reports one ({maxUnavailable: 1} by default), and
        # community.aws.eks_nodegroup fails with KeyError 'updateConfig' without it. Through the sandbox's own client:
        # neither counted nor timed.
        for side, eks in self.sb.inventory["cloudops_eks"].items():
            self.sb.client("eks", eks["region"]).update_nodegroup_config(
                clusterName=eks["cluster_name"], nodegroupName=eks["nodegroup_name"],
                updateConfig={"maxUnavailable": 1})
        self.write_estate_vars()

    def write_estate_vars(self) -> None:
        """What a user's infrastructure code holds and the baseline's eks_nodegroup must be given unchanged."""
        aws, seed = self.sb.info["aws"], self.sb.inventory["sandbox_seed"]
        warm = seed["nodegroups"]["dr"]
        self.estate_vars.write_text(yaml.safe_dump({"baseline_dr_nodegroup": {
            "node_role": aws["iam_roles"]["eks-node"], "subnets": aws["network"]["dr"]["subnet_ids"],
            "instance_types": list(seed["eks"]["instance_types"]),
            "warm_standby": {"min_size": warm["min"], "desired_size": warm["desired"], "max_size": warm["max"]}}}))

    def realistic(self) -> dict[str, Any]:
        from sandbox import knobs

        return knobs.timing(self.sb, profile="realistic", scale=self.scale)

    def ansible_env(self) -> dict[str, str]:
        env = dict(clean_env(), **read_env_file(self.state / "env"))
        env.update(ANSIBLE_COLLECTIONS_PATH="%s:%s" % (REPO / "collections", sysconfig.get_paths()["purelib"]),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", CLOUDOPS_RUN_EVIDENCE_DIR=str(self.out / "runs"))
        env["PATH"] = "%s:%s" % (env.get("PATH", ""), BIN)
        return env

    def run(self, name: str, argv: list[str], services: int | None = None) -> dict[str, Any]:
        """One ansible-playbook run on the realistic profile, measured from the sandbox's API call log."""
        from sandbox import knobs

        self.realistic()
        knobs.api_calls(self.sb, reset=True)
        log = self.logs / ("%s.log" % name)
        command = [str(BIN / "ansible-playbook"), *argv]
        started = time.time()
        with log.open("w") as fh:
            fh.write("$ %s\n" % " ".join(command))
            fh.flush()
            proc = subprocess.run(command, cwd=REPO, env=self.ansible_env(), stdout=fh, stderr=subprocess.STDOUT,
                                  timeout=3600)
        finished = time.time()
        recorded = knobs.api_calls(self.sb)
        calls = measure.call_summary(recorded["calls"])
        busy = measure.busy_seconds(recorded["transitions"], started, finished)
        return {"name": name, "argv": argv, "rc": proc.returncode, "ok": proc.returncode == 0, "log": str(log),
                "started": started, "finished": finished, "wall": finished - started, "services": services,
                "busy": busy, "added": (finished - started) - busy, "calls": calls,
                "mutating_by_operation": measure.mutating_by_operation(calls),
                "detection": measure.detection(recorded["transitions"], recorded["calls"]), "transitions": recorded["transitions"]}


def run_switch(bench: Bench, services: int, impl: str) -> dict[str, Any]:
    """Seed `services` blue/green services on a fresh estate, switch them all to green, check where they point."""
    bench.reset()
    plan = switching.seed_services(bench.sb, services)
    bench.switch_vars.write_text(yaml.safe_dump(plan))
    run = bench.run("switch-%d-%s" % (services, impl), [SWITCH_PLAYBOOKS[impl], "-e", "@%s" % bench.switch_vars],
                    services=services)
    live = switching.live_groups(bench.sb, plan)
    run["not_switched"] = sorted(s["name"] for s in plan["bench_services"] if live[s["name"]] != [s["green"]])
    run["ok"] = run["ok"] and not run["not_switched"]
    return run


def git_revision() -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return (proc.stdout.strip() + ("+changes" if dirty else "")) if proc.returncode == 0 else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=0.05, help="timing scale: real-AWS durations x this (default 0.05)")
    p.add_argument("--scenarios", default="drill,deploy,switch", help="comma-separated: drill, deploy, switch")
    p.add_argument("--implementations", default="collection,baseline", help="comma-separated: collection, baseline")
    p.add_argument("--services", default="1,10,50,200", help="service counts of the switch scenario")
    p.add_argument("--state-dir", default=str(REPO / "build" / "bench-sandbox"))
    p.add_argument("--out", default=str(REPO / "build" / "bench"))
    p.add_argument("--keep-sandbox", action="store_true", help="leave the sandbox running (and reuse a running one)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    impls = [i for i in args.implementations.split(",") if i]
    counts = [int(n) for n in args.services.split(",") if n]
    out = Path(args.out)
    bench = Bench(Path(args.state_dir), out, args.scale)
    expected = yaml.safe_load((REPO / "benchmarks" / "expected_calls.yml").read_text())
    results: dict[str, Any] = {"started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                               "revision": git_revision(), "runs": {}}
    bench.start(fresh=not args.keep_sandbox)
    try:
        results["timing"] = {k: v for k, v in bench.realistic().items() if k in ("profile", "scale", "durations")}
        commands = runbook_commands(bench.estate_vars)
        for scenario in (s for s in scenarios if s in commands):
            for impl in impls:
                bench.reset()
                print("%-8s %-10s ..." % (scenario, impl), end=" ", flush=True)
                run = bench.run("%s-%s" % (scenario, impl), commands[scenario][impl])
                results["runs"].setdefault(scenario, {})[impl] = run
                print("%s in %.1f s (log %s)" % ("ok" if run["ok"] else "FAILED", run["wall"], run["log"]), flush=True)
        if "switch" in scenarios:
            for n in counts:
                for impl in impls:
                    print("switch   %-10s %3d services ..." % (impl, n), end=" ", flush=True)
                    run = run_switch(bench, n, impl)
                    results["runs"].setdefault("switch-%d" % n, {})[impl] = run
                    print("%s in %.1f s" % ("ok" if run["ok"] else "FAILED (%d not on green)" % len(run["not_switched"]),
                                           run["wall"]), flush=True)
    finally:
        if not args.keep_sandbox:
            bench.stop()
    results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    text = report.markdown(results, expected)
    results["verdicts"] = report.verdicts(results, expected)
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print()
    print(text)
    print("written: %s, %s" % (out / "results.md", out / "results.json"))
    return 0 if all(v["passed"] for v in results["verdicts"]) else 1


if __name__ == "__main__":
    sys.exit(main())
