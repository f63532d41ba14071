# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudops.runbooks.plugins.filter import deploy


def test_filters_are_registered():
    filters = deploy.FilterModule().filters()
    assert {"canary_schedule", "forward_diff", "idle_colour", "deploy_request", "deploy_wave", "rollback_request"} <= set(filters)
    assert not {"deploy_plan", "deploy_routes", "rollback_plan", "traffic_shift_step", "helm_deploy_results"} & set(filters)  # logic in module_utils
    for name, function in filters.items():
        assert function.__name__ == name


@pytest.mark.parametrize("colours", [["blue", "green"], {"blue": "shop-blue", "green": "shop-green"}])
def test_idle_colour(colours):
    assert deploy.idle_colour("blue", colours) == "green"
    assert deploy.idle_colour("green", colours) == "blue"


@pytest.mark.parametrize("active", ["split", "unknown", "none", "red"])
def test_idle_colour_undecided_fails_unless_not_strict(active):
    with pytest.raises(AnsibleFilterError, match="no single idle colour"):
        deploy.idle_colour(active, ["blue", "green"])
    assert deploy.idle_colour(active, ["blue", "green"], strict=False) is None


def test_idle_colour_rejects_a_string():
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        deploy.idle_colour("blue", "blue,green")


def test_canary_schedule_and_its_errors():
    assert deploy.canary_schedule([10, 50, 100], "blue", "green")[-1] == {"green": 100}
    with pytest.raises(AnsibleFilterError, match="canary_schedule: canary steps must end at 100"):
        deploy.canary_schedule([10, 50], "blue", "green")


def test_forward_diff_and_its_errors():
    assert deploy.forward_diff({"blue": 1}, {"blue": 0, "green": 1}) == [
        {"group": "blue", "before": 1, "after": 0}, {"group": "green", "before": None, "after": 1}]
    with pytest.raises(AnsibleFilterError, match="forward_diff: after must be a dict"):
        deploy.forward_diff({}, "green")
