# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import environment
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoClient
from ansible_collections.scalingo.cloud.tests.unit.utils import API_TOKEN


def current(**values):
    return [dict(id="id-" + name, name=name, value=value) for name, value in values.items()]


@pytest.mark.parametrize("providers, prefixes", [
    (["scalingo-postgresql"], ["POSTGRESQL_", "SCALINGO_POSTGRESQL_"]),
    (["scalingo-mongodb"], ["MONGODB_", "MONGO_", "SCALINGO_MONGODB_", "SCALINGO_MONGO_"]),
    (["scalingo-influxdb"], ["INFLUXDB_", "INFLUX_", "SCALINGO_INFLUXDB_", "SCALINGO_INFLUX_"]),
    (["new-relic"], ["NEW_RELIC_", "SCALINGO_NEW_RELIC_"]),
    ([None, ""], []),
])
def test_addon_name_prefixes(providers, prefixes):
    assert environment.addon_name_prefixes(providers) == prefixes


@pytest.mark.parametrize("name, keep, expected", [
    ("SCALINGO_X", ["SCALINGO_*"], True),
    ("A", ["A"], True),
    ("AB", ["A"], False),
    ("a", ["A"], False),          # names are case-sensitive
    ("WORKER_1", ["WORKER_?"], True),
    ("ANY", [], False),
])
def test_kept(name, keep, expected):
    assert environment.kept(name, keep) is expected


def test_purge_spares_the_aliases_of_addon_variables():
    variables = current(DATABASE_URL="$SCALINGO_POSTGRESQL_URL", SCALINGO_POSTGRESQL_URL="postgres://u:p@h/d",
                        OTHER_URL="${SCALINGO_POSTGRESQL_URL}", MINE="$HOME", COPY="x$SCALINGO_POSTGRESQL_URL")
    plan = environment.Plan(variables, {}, purge=True, addon_prefixes=["SCALINGO_POSTGRESQL_", "POSTGRESQL_"])
    assert plan.removed == ["COPY", "MINE"]


def test_plan_present_with_purge():
    plan = environment.Plan(current(A="1", B="2", C="3", SCALINGO_REDIS_URL="r", K="k"),
                            dict(A="1", B="20", D="4"), purge=True, keep=["K"], addon_prefixes=["SCALINGO_REDIS_"])
    assert plan.result() == dict(added=["D"], updated=["B"], removed=["C"], unchanged=["A"])
    assert plan.put == dict(B="20", D="4")
    assert [item["id"] for item in plan.delete] == ["id-C"]
    assert plan.changed


def test_plan_absent():
    plan = environment.Plan(current(A="1", B="2"), remove=["B", "Z"])
    assert plan.result() == dict(added=[], updated=[], removed=["B"], unchanged=["Z"])
    assert plan.put == {}
    assert plan.changed


def test_plan_nothing_to_do():
    plan = environment.Plan(current(A="1"), dict(A="1"))
    assert not plan.changed


def test_diff_markers():
    plan = environment.Plan(current(A="1", S="old-secret", X="x"), dict(A="2", S="new-secret"), purge=True)
    diff = environment.make_env_diff(plan, dict(A="2"), dict(S="new-secret"))
    assert diff == {"before": {"A": "1", "S": environment.SECRET, "X": environment.NOT_SHOWN},
                    "after": {"A": "2", "S": environment.SECRET_CHANGED}}
    assert "secret" not in str(diff).replace("(secret", "")


def test_name_errors():
    assert environment.name_errors(["OK", "9NO", "X" * 65]) == [
        "names[1]: '9NO' is not a valid environment variable name: letters, digits and underscores, not starting "
        "with a digit",
        "names[2]: the name %s is 65 characters long; the platform takes at most 64" % ("X" * 65),
    ]


def test_apply_plan_sends_one_put_and_one_bulk_delete(api):
    api.add("PUT", "/apps/my-app/variables", json={"variables": []})
    api.add("DELETE", "/apps/my-app/variables", status=204, body="")
    plan = environment.Plan(current(A="1", B="2"), dict(A="3"), remove=[], purge=True)
    environment.apply_plan(ScalingoClient(API_TOKEN), "my-app", plan)
    assert [(c.method, c.path, c.json) for c in api.calls()] == [
        ("PUT", "/v1/apps/my-app/variables", {"variables": [{"name": "A", "value": "3"}]}),
        ("DELETE", "/v1/apps/my-app/variables", {"variable_ids": ["id-B"]}),
    ]


def test_addon_providers_reads_the_provider_ids(api):
    api.add("GET", "/apps/my-app/addons", json={"addons": [{"addon_provider": {"id": "scalingo-redis"}}, {}]})
    assert environment.addon_providers(ScalingoClient(API_TOKEN), "my-app") == ["scalingo-redis"]


def test_addon_providers_other_errors_are_raised(api):
    api.add("GET", "/apps/my-app/addons", status=403, json={"error": "forbidden"})
    with pytest.raises(Exception) as raised:
        environment.addon_providers(ScalingoClient(API_TOKEN), "my-app")
    assert getattr(raised.value, "status", None) == 403
