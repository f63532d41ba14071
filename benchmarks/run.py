"""`make bench`: this collection's runbooks against a baseline of peer modules, on a sandbox of its own.

    .venv/bin/python -m benchmarks.run [--scale 0.05] [--repeats 3] [--scenarios counts,drill,deploy,services,switch]
                                       [--deploy-services 10] [--services 1,10,50,200]

Scenarios (each measures the playbooks as they are in the working tree when it runs):
- counts: the collection's drill once on the instant profile: its task executions and module processes (every run
  counts them too: the runbook table shows both implementations' under the realistic profile);
- drill, deploy: the failover drill and the blue-green deploy of `web`, collection and baseline interleaved, each
  --repeats times (the order alternates from one repeat to the next), on the realistic profile at --scale;
- services: on a sandbox seeded with --deploy-services blue-green services (benchmarks/services.py), the collection's
  deploy of one of them and of all of them, interleaved, --repeats times;
- switch: N services switched blue -> green in one call, once per count of --services.
Each run starts from `python -m sandbox reset`, sets the timing profile, empties the API call log and runs
`ansible-playbook` once with two recorders (benchmarks/counting.py): an interpreter wrapper that logs every module
process and a callback that logs every task. Medians over the repeats go to stdout and build/bench/results.md
(every run in results.json beside it), with every target PASS/FAIL in one table; the exit status is 1 when one fails.
The sandbox (build/bench-sandbox) is started fresh and stopped at the end unless --keep-sandbox. Playbook output:
build/bench/logs/.
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

from benchmarks import counting, measure, report, services, shape, switching

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
SANDBOX_INVENTORY_DIR = REPO / "inventories" / "sandbox"
DEPLOY_VARS = ["-e", "deploy_version=1.1.0"]
# kubernetes.core 6.2.0's helm module (the baseline's) runs `helm list --all`, which helm 4 removed (fixed in 6.4.0, not
# bundled by ansible 12.3.0): the baseline gets helm v3.17.1 (`tools/install-k8s-tools.sh --helm3`, pinned like helm 4).
BASELINE_HELM = REPO / "build" / "k8s-tools" / "helm3" / "helm"
SCENARIOS = ("counts", "drill", "deploy", "services", "switch")
RESET_ATTEMPTS = 3


def runbook_commands(estate_vars: Path, inventory: Path = SANDBOX_INVENTORY_DIR) -> dict[str, dict[str, list[str]]]:
    """ansible-playbook arguments of each runbook scenario, per implementation."""
    inv = ["-i", str(inventory)]
    return {
        "drill": {"collection": ["playbooks/failover_drill.yml", *inv],
                  "baseline": ["benchmarks/baseline/failover_drill.yml", *inv, "-e", "@%s" % estate_vars]},
        "deploy": {"collection": ["playbooks/deploy.yml", *inv, *DEPLOY_VARS, "-e", "deploy_service=web"],
                   "baseline": ["benchmarks/baseline/deploy.yml", *inv, *DEPLOY_VARS, "-e", "deploy_service=web",
                                "-e", "baseline_helm_binary=%s" % BASELINE_HELM]},
    }


def services_commands(inventory: Path, count: int) -> dict[int, list[str]]:
    """The collection's deploy on the N-service estate: of `web` alone, and of every service (no deploy_service)."""
    inv = ["-i", str(inventory)]
    return {1: ["playbooks/deploy.yml", *inv, *DEPLOY_VARS, "-e", "deploy_service=web"],
            count: ["playbooks/deploy.yml", *inv, *DEPLOY_VARS]}


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


def enabled_callbacks() -> str:
    """ansible.cfg's callbacks_enabled (the runbooks' own, e.g. run_evidence) plus the bench's task recorder."""
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(REPO / "ansible.cfg")
    own = [c.strip() for c in cfg.get("defaults", "callbacks_enabled", fallback="").split(",") if c.strip()]
    return ",".join(own + [counting.CALLBACK_NAME])


class Bench:
    """The benchmark's sandbox and its runs."""

    def __init__(self, state: Path, out: Path, scale: float, inventory: Path = SANDBOX_INVENTORY_DIR):
        self.state, self.out, self.scale, self.inventory = state, out, scale, inventory
        self.logs = out / "logs"
        self.counts = out / "counts"
        for d in (self.logs, self.counts):
            d.mkdir(parents=True, exist_ok=True)
        self.estate_vars = out / "baseline-estate.yml"
        self.switch_vars = out / "switch-services.yml"
        self.sb: Any = None

    def sandbox(self, *args: str) -> str:
        proc = subprocess.run([PYTHON, "-m", "sandbox", *args, "--state-dir", str(self.state)], cwd=REPO,
                              env=clean_env(), capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError("python -m sandbox %s failed:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc.stdout.strip()

    def start(self, fresh: bool) -> None:
        if fresh:
            self.sandbox("down")
        print(self.sandbox("up", "--inventory", str(self.inventory)).splitlines()[0], flush=True)
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
        """The seeded estate, then what the sandbox lacks and real AWS has, under the instant profile. A reset that
        times out on a loaded machine (the daemon's /reset of a large estate) is tried again."""
        for attempt in range(RESET_ATTEMPTS):
            try:
                self.sandbox("reset")
                break
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                if attempt + 1 == RESET_ATTEMPTS:
                    raise
                say("         sandbox reset failed (%s); again in 10 s" % str(exc).strip().splitlines()[-1])
                time.sleep(10)
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

    def timing(self, profile: str) -> dict[str, Any]:
        from sandbox import knobs

        return knobs.timing(self.sb, profile=profile, scale=self.scale if profile == "realistic" else 1.0)

    def ansible_env(self, task_log: Path) -> dict[str, str]:
        env = dict(clean_env(), **read_env_file(self.state / "env"))
        env.update(ANSIBLE_COLLECTIONS_PATH="%s:%s" % (REPO / "collections", sysconfig.get_paths()["purelib"]),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", CLOUDOPS_RUN_EVIDENCE_DIR=str(self.out / "runs"),
                   ANSIBLE_CALLBACK_PLUGINS=str(counting.CALLBACK_DIR), ANSIBLE_CALLBACKS_ENABLED=enabled_callbacks())
        env[counting.TASK_LOG_ENV] = str(task_log)
        env["PATH"] = "%s:%s" % (env.get("PATH", ""), BIN)
        return env

    def run(self, name: str, argv: list[str], services: int | None = None,
            profile: str = "realistic") -> dict[str, Any]:
        """One ansible-playbook run, measured from the sandbox's API call log and the two recorders."""
        from sandbox import knobs

        self.timing(profile)
        knobs.api_calls(self.sb, reset=True)
        log = self.logs / ("%s.log" % name)
        process_log, task_log = self.counts / ("%s.processes" % name), self.counts / ("%s.tasks" % name)
        for f in (process_log, task_log):
            f.unlink(missing_ok=True)
        interpreter = counting.write_interpreter(self.counts / ("%s.python" % name), PYTHON, process_log)
        command = [str(BIN / "ansible-playbook"), *argv, "-e", "ansible_python_interpreter=%s" % interpreter]
        started = time.time()
        with log.open("w") as fh:
            fh.write("$ %s\n" % " ".join(command))
            fh.flush()
            proc = subprocess.run(command, cwd=REPO, env=self.ansible_env(task_log), stdout=fh,
                                  stderr=subprocess.STDOUT, timeout=3600)
        finished = time.time()
        recorded = knobs.api_calls(self.sb)
        calls = measure.call_summary(recorded["calls"])
        busy = measure.busy_seconds(recorded["transitions"], started, finished)
        return {"name": name, "argv": argv, "rc": proc.returncode, "ok": proc.returncode == 0, "log": str(log),
                "profile": profile, "started": started, "finished": finished, "wall": finished - started,
                "services": services, "busy": busy, "added": (finished - started) - busy, "calls": calls,
                "mutating_by_operation": measure.mutating_by_operation(calls),
                "detection": measure.detection(recorded["transitions"], recorded["calls"]),
                "transitions": recorded["transitions"], "call_log": recorded["calls"],
                "counts": counting.read_counts(process_log, task_log)}


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


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=0.05, help="timing scale: real-AWS durations x this (default 0.05)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: %s" % ", ".join(SCENARIOS))
    p.add_argument("--implementations", default="collection,baseline", help="comma-separated: collection, baseline")
    p.add_argument("--repeats", type=int, default=3, help="runs of each drill/deploy/services scenario (default 3)")
    p.add_argument("--deploy-services", type=int, default=10,
                   help="services of the `services` scenario's estate, all deployed in one run (default 10)")
    p.add_argument("--services", default="1,10,50,200", help="service counts of the switch scenario")
    p.add_argument("--state-dir", default=str(REPO / "build" / "bench-sandbox"))
    p.add_argument("--out", default=str(REPO / "build" / "bench"))
    p.add_argument("--keep-sandbox", action="store_true", help="leave the sandbox running (and reuse a running one)")
    args = p.parse_args(argv)
    unknown = [s for s in args.scenarios.split(",") if s and s not in SCENARIOS]
    if unknown:
        p.error("unknown scenario(s) %s (choose from %s)" % (", ".join(unknown), ", ".join(SCENARIOS)))
    if args.repeats < 1 or args.deploy_services < 2:
        p.error("--repeats must be >= 1 and --deploy-services >= 2")
    return args


def say(text: str) -> None:
    print(text, flush=True)


def run_standard(bench: Bench, args: argparse.Namespace, scenarios: list[str], impls: list[str],
                 results: dict[str, Any]) -> None:
    """counts, drill, deploy and switch on the sandbox inventory's estate."""
    commands = runbook_commands(bench.estate_vars)
    if "counts" in scenarios:
        # The collection's drill only: the baseline's counts are in its timed runs (runbook table).
        for impl in [i for i in impls if i == "collection"]:
            bench.reset()
            say("counts   %-10s instant profile ..." % impl)
            run = bench.run("counts-drill-%s" % impl, commands["drill"][impl], profile="instant")
            results["counts"].setdefault("drill", {})[impl] = run
            say("         %s in %.1f s: %d task executions, %d module processes" % (
                "ok" if run["ok"] else "FAILED", run["wall"], run["counts"]["tasks"], run["counts"]["processes"]))
    timed = [s for s in ("drill", "deploy") if s in scenarios]
    for repeat in range(args.repeats if timed else 0):
        for scenario in timed:
            for impl in measure.interleaved(impls, repeat):
                bench.reset()
                say("%-8s %-10s run %d/%d ..." % (scenario, impl, repeat + 1, args.repeats))
                run = bench.run("%s-%s-%d" % (scenario, impl, repeat + 1), commands[scenario][impl])
                results["runs"].setdefault(scenario, {}).setdefault(impl, []).append(run)
                say("         %s in %.1f s (adds %.1f s; %d tasks, %d module processes; log %s)" % (
                    "ok" if run["ok"] else "FAILED", run["wall"], run["added"], run["counts"]["tasks"],
                    run["counts"]["processes"], run["log"]))
    if "switch" in scenarios:
        for n in [int(x) for x in args.services.split(",") if x]:
            for impl in impls:
                say("switch   %-10s %3d services ..." % (impl, n))
                run = run_switch(bench, n, impl)
                results["runs"].setdefault("switch-%d" % n, {}).setdefault(impl, []).append(run)
                say("         %s in %.1f s" % ("ok" if run["ok"] else "FAILED (%d not on green)"
                                               % len(run["not_switched"]), run["wall"]))


def run_services(bench: Bench, args: argparse.Namespace, results: dict[str, Any]) -> None:
    """The collection's deploy of 1 and of N services on the N-service estate, interleaved."""
    n = args.deploy_services
    commands = services_commands(bench.inventory, n)
    for repeat in range(args.repeats):
        for count in measure.interleaved([1, n], repeat):
            bench.reset()
            say("services deploy %2d of %d, run %d/%d ..." % (count, n, repeat + 1, args.repeats))
            run = bench.run("services-%d-of-%d-%d" % (count, n, repeat + 1), commands[count], services=count)
            run["estate_services"] = n
            results["runs"].setdefault("deploy-%d-of-%d" % (count, n), {}).setdefault("collection", []).append(run)
            say("         %s in %.1f s (%d tasks, %d module processes; log %s)" % (
                "ok" if run["ok"] else "FAILED", run["wall"], run["counts"]["tasks"], run["counts"]["processes"],
                run["log"]))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    impls = [i for i in args.implementations.split(",") if i]
    out = Path(args.out).resolve()
    expected = yaml.safe_load((REPO / "benchmarks" / "expected_calls.yml").read_text())
    results: dict[str, Any] = {"started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                               "revision": git_revision(), "repeats": args.repeats, "cpus": os.cpu_count(),
                               "load_before": load_average(), "runs": {}, "counts": {}}
    standard = [s for s in scenarios if s != "services"]
    bench = Bench(Path(args.state_dir).resolve(), out, args.scale)
    if standard:
        bench.start(fresh=not args.keep_sandbox)
        try:
            results["timing"] = {k: v for k, v in bench.timing("realistic").items()
                                 if k in ("profile", "scale", "durations")}
            run_standard(bench, args, standard, impls, results)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:  # a sandbox that failed: report what was measured
            results.setdefault("aborted", []).append(str(exc))
            say("ABORTED: %s" % exc)
        finally:
            if not args.keep_sandbox or "services" in scenarios:
                bench.stop()
    if "services" in scenarios and "collection" in impls:
        inventory = services.write_inventory(SANDBOX_INVENTORY_DIR, out / "inventory-services", args.deploy_services)
        bench = Bench(Path(args.state_dir).resolve(), out, args.scale, inventory=inventory)
        bench.start(fresh=True)
        try:
            results.setdefault("timing", {k: v for k, v in bench.timing("realistic").items()
                                          if k in ("profile", "scale", "durations")})
            run_services(bench, args, results)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            results.setdefault("aborted", []).append(str(exc))
            say("ABORTED: %s" % exc)
        finally:
            if not args.keep_sandbox:
                bench.stop()
    results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results["load_after"] = load_average()
    results["shape"] = shape.read_shape(REPO)  # the tree as it is when the report is written
    text = report.markdown(results, expected)
    results["verdicts"] = report.verdicts(results, expected)
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    say("")
    say(text)
    say("written: %s, %s" % (out / "results.md", out / "results.json"))
    return 0 if all(v["passed"] is not False for v in results["verdicts"]) and not results.get("aborted") else 1


if __name__ == "__main__":
    sys.exit(main())
