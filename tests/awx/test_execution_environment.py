# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml gives ansible-builder a complete build context: the Python requirements, the collection
dependencies, this collection (with its own meta/execution-environment.yml: requirements.txt with lower bounds,
bindep.txt), the tested versions as pip constraints, the aws CLI and a pinned, checksum-verified helm. No container
engine here: no image is built."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile

import pytest

from awx_testlib import BIN, REPO, clean_env, load_yaml


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """`ansible-builder create` of a copy of the EE definition (and the files it names), with this collection built
    where it expects it (build/ee/, as `make ee-context` does)."""
    work = tmp_path_factory.mktemp("ee")
    for name in ("execution-environment.yml", "requirements-ee.txt", "requirements.yml", "constraints.txt"):
        shutil.copy(REPO / name, work / name)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work / "build" / "ee"), str(REPO)],
                   cwd=REPO, env=clean_env(), check=True, capture_output=True, timeout=300)
    proc = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                           "--output-filename", "Containerfile"], cwd=work, env=clean_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work / "context"


def test_the_context_has_the_requirements_and_this_collection(context):
    assert (context / "_build" / "requirements.txt").read_text() == (REPO / "requirements-ee.txt").read_text()
    assert (context / "_build" / "requirements.yml").read_text() == (REPO / "requirements.yml").read_text()
    assert (context / "_build" / "configs" / "constraints.txt").read_text() == (REPO / "constraints.txt").read_text()
    galaxy = load_yaml(REPO / "galaxy.yml")
    tarballs = list((context / "_build" / "collections").glob("*.tar.gz"))
    assert [t.name for t in tarballs] == [f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"]
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["dependencies"] == galaxy["dependencies"]
    assert {"roles/runbook_inputs/meta/argument_specs.yml", "playbooks/failover_drill.yml", "requirements.txt", "bindep.txt",
            "meta/execution-environment.yml"} <= names
    # What ansible-builder's introspection reads from the installed collection.
    meta = load_yaml(REPO / "meta" / "execution-environment.yml")
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    # Development-only content stays out of the collection (galaxy.yml build_ignore).
    assert not [n for n in names if n.split("/")[0] in ("awx", "sandbox", ".venv") or n.startswith("tests/awx")]


def test_the_containerfile_installs_ansible_the_collections_and_the_python_dependencies(context):
    containerfile = (context / "Containerfile").read_text()
    definition = load_yaml(REPO / "execution-environment.yml")
    assert definition["version"] == 3
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile
    assert re.search(r'^ARG ANSIBLE_INSTALL_REFS="ansible-core==[\d.]+ ansible-runner==[\d.]+"$', containerfile, re.M)
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    dependencies = galaxy_stage.index("ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml")
    ours = galaxy_stage.index("ansible-galaxy collection install --no-deps --collections-path /usr/share/ansible/collections "
                              "/build/collections/cloudops-runbooks-*.tar.gz")
    assert dependencies < ours
    assert "introspect.py introspect --user-pip=requirements.txt" in containerfile
    galaxy = load_yaml(REPO / "galaxy.yml")
    assert definition["options"]["tags"] == [f"cloudops-runbooks-ee:{galaxy['version']}"]


def test_helm_is_pinned_and_checked_against_its_published_checksum(context):
    final = (context / "Containerfile").read_text().split("FROM base AS final", 1)[1]
    version = re.search(r"^ARG HELM_VERSION=(v\d+\.\d+\.\d+)$", final, re.M).group(1)
    sums = dict(re.findall(r"^ARG HELM_SHA256_(AMD64|ARM64)=([0-9a-f]{64})$", final, re.M))
    assert sorted(sums) == ["AMD64", "ARM64"] and version.startswith(("v3.", "v4."))
    run = [line for line in final.splitlines() if "get.helm.sh" in line]
    assert len(run) == 1
    install = run[0]
    order = [install.index(s) for s in ('curl -fsSL', 'sha256sum -c -', 'tar -xzf', 'install -m 0755', 'helm version')]
    assert order == sorted(order), "download, verify, then unpack and install"
    assert "set -eux" in install  # a checksum mismatch fails the build
    assert 'https://get.helm.sh/helm-${HELM_VERSION}-linux-${arch}.tar.gz' in install


def test_requirements_have_lower_bounds_and_the_tested_versions_are_constraints():
    """requirements.txt merges with other collections' requirements in an EE build (ranges, no exact pins); every
    package it names is pinned in constraints.txt, which `make venv` and the EE's builder stage use."""
    def names(path):
        rows = [line.split("#")[0].strip() for line in (REPO / path).read_text().splitlines()]
        return [re.split(r"[<>=!\[ ]", row, maxsplit=1)[0].lower() for row in rows if row]
    required = (REPO / "requirements.txt").read_text().splitlines()
    assert all("==" not in line.split("#")[0] for line in required)
    pinned = (REPO / "constraints.txt").read_text().splitlines()
    assert all("==" in line for line in pinned if line.split("#")[0].strip())
    assert set(names("requirements.txt")) <= set(names("constraints.txt"))
    assert "-c constraints.txt" in (REPO / "Makefile").read_text()


def test_the_builder_stage_is_constrained_and_the_final_image_has_the_aws_cli(context):
    containerfile = (context / "Containerfile").read_text()
    builder = containerfile.split("FROM base AS builder", 1)[1].split("FROM base AS final", 1)[0]
    assert "ENV PIP_CONSTRAINT=/build/constraints.txt" in builder
    assert builder.index("PIP_CONSTRAINT") < builder.index("/output/scripts/assemble")
    assert re.search(r"^awscli==[\d.]+", (context / "_build" / "requirements.txt").read_text(), re.M)
    final = containerfile.split("FROM base AS final", 1)[1]
    assert "aws --version" in final and final.index("install-from-bindep") < final.index("get.helm.sh")
