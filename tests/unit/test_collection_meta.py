# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's metadata agree with its content."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import yaml

from ansible_collections.scalingo.cloud.plugins.module_utils.version import COLLECTION_VERSION

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


def test_version_matches_galaxy_yml():
    assert COLLECTION_VERSION == str(load("galaxy.yml")["version"])


def test_every_module_is_in_the_action_group_and_back():
    modules = set(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                  if name.endswith(".py") and not name.startswith("_"))
    group = set(load(os.path.join("meta", "runtime.yml"))["action_groups"]["scalingo"])
    assert sorted(modules - group) == [], "modules missing from meta/runtime.yml action_groups.scalingo"
    assert sorted(group - modules) == [], "action_groups.scalingo lists modules that do not exist"
