# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release hygiene of what users install: the role READMEs say what the argument specs say, one version everywhere
(galaxy.yml, the execution environment's tag, the AWX image; every plugin's version_added released or this one), the changelog fragments
fit changelogs/config.yaml, the licence is the one declared."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from awx_testlib import REPO, load_yaml


def test_every_role_readme_is_generated_from_its_current_argument_specs():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "role-readmes.py"), "--check"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    roles = sorted(p.parent.parent.name for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))
    assert roles and all((REPO / "roles" / role / "README.md").is_file() for role in roles)


def test_one_version_everywhere():
    version = load_yaml(REPO / "galaxy.yml")["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    added = {}
    for path in sorted((REPO / "plugins").rglob("*")):
        if path.suffix in (".py", ".yml") and path.is_file():
            for found in re.findall(r"version_added:\s*['\"]?([\d.]+)", path.read_text()):
                added.setdefault(found, []).append(path.name)
    # Each plugin and option was added in a released version (changelogs/changelog.yaml) or in the one being made.
    released = set(str(v) for v in load_yaml(REPO / "changelogs" / "changelog.yaml")["releases"])
    assert version not in released or not any((REPO / "changelogs" / "fragments").glob("*.yml")), (
        "galaxy.yml names the released %s while changelog fragments wait for the next release: raise the version" % version)
    assert set(added) <= released | {version}, dict((v, names[:5]) for v, names in added.items() if v not in released | {version})
    assert load_yaml(REPO / "execution-environment.yml")["options"]["tags"] == [f"cloudops-runbooks-ee:{version}"]
    assert load_yaml(REPO / "awx" / "vars" / "main.yml")["cloudops_awx_execution_environment"]["image"].endswith(f":{version}")


def test_the_changelog_fragments_fit_the_changelog_configuration():
    config = load_yaml(REPO / "changelogs" / "config.yaml")
    sections = {name for name, _ in config["sections"]} | {config["prelude_section_name"], config["trivial_section_name"]}
    summaries = []
    for path in sorted((REPO / "changelogs" / "fragments").glob("*.yml")):
        fragment = yaml.safe_load(path.read_text())
        assert isinstance(fragment, dict) and fragment, path.name
        assert set(fragment) <= sections, (path.name, set(fragment) - sections)
        for section, entries in fragment.items():
            if section == config["prelude_section_name"]:
                summaries.append(path.name)
                assert isinstance(entries, str)
            else:
                assert isinstance(entries, list) and all(isinstance(e, str) and e.strip() for e in entries), (path.name, section)
    changes = load_yaml(REPO / "changelogs" / "changelog.yaml")
    if not changes.get("releases"):
        # Before the first release: exactly one summary, for it; and nothing released could break, be removed or be
        # fixed - a change to what was never released is a minor change, or trivial (not in the changelog).
        assert summaries == ["release-1.0.0.yml"], summaries
        for path in sorted((REPO / "changelogs" / "fragments").glob("*.yml")):
            unreleased = set(yaml.safe_load(path.read_text())) & {"breaking_changes", "removed_features", "deprecated_features", "bugfixes"}
            assert not unreleased, "%s: %s before the first release: make it minor_changes or trivial" % (path.name, sorted(unreleased))


def test_the_licence_is_the_declared_one():
    assert load_yaml(REPO / "galaxy.yml")["license"] == ["GPL-3.0-or-later"]
    assert "GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007" in (REPO / "LICENSE").read_text()
