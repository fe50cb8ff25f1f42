# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX credential type in docs/awx/ is one AWX accepts, and what it injects is what the modules
accept.

AWX validates a credential type with a JSON schema (input fields, injectors) and renders each injector
template with StrictUndefined over the declared fields; at job time it renders them again over the
fields the credential fills in (empty ones left out), with the default Undefined. Both are reproduced
here, then every injected environment variable goes through the collection's own input rules.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.scalingo.cloud.plugins.module_utils.client import DEFAULT_AUTH_URL, DEFAULT_REGION, REGIONS
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import region_error, url_error

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PATH = os.path.join(ROOT, "docs", "awx", "scalingo_credential_type.yml")

# What AWX accepts in an input field (awx/main/fields.py, CredentialTypeInputField).
FIELD_KEYS = {"id", "label", "type", "help_text", "secret", "multiline", "choices", "format",
              "ask_at_runtime", "default"}
FIELD_ID = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
ENV_NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
TOKEN = "tk-us-credential-type-test"


def load():
    with open(PATH) as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def credential_type():
    data = load()
    assert list(data) == ["credential_types"], "the file is in the format of `awx export` / `awx import`"
    assert len(data["credential_types"]) == 1
    return data["credential_types"][0]


def test_identity(credential_type):
    assert credential_type["name"] == "Scalingo API"
    assert credential_type["kind"] == "cloud"
    assert credential_type["natural_key"] == {"name": credential_type["name"], "kind": "cloud",
                                              "type": "credential_type"}


def test_inputs_follow_the_awx_schema(credential_type):
    inputs = credential_type["inputs"]
    assert set(inputs) <= {"fields", "required"}
    ids = [field["id"] for field in inputs["fields"]]
    assert ids == ["api_token", "region", "api_url", "auth_url"]
    for field in inputs["fields"]:
        assert set(field) <= FIELD_KEYS, field["id"]
        assert FIELD_ID.match(field["id"])
        assert field.get("type", "string") == "string"
        assert isinstance(field["label"], str) and field["label"]
        if "default" in field:
            assert isinstance(field["default"], str)
    assert set(inputs["required"]) == {"api_token"}
    secrets = [field["id"] for field in inputs["fields"] if field.get("secret")]
    assert secrets == ["api_token"]


def test_injectors_follow_the_awx_schema(credential_type):
    injectors = credential_type["injectors"]
    assert list(injectors) == ["env"]
    env = injectors["env"]
    assert sorted(env) == ["SCALINGO_API_TOKEN", "SCALINGO_API_URL", "SCALINGO_AUTH_URL", "SCALINGO_REGION"]
    for name, template in env.items():
        assert ENV_NAME.match(name) and not name.startswith("ANSIBLE_")
        assert all(ord(char) < 128 for char in template)
    # AWX refuses a template that uses an undeclared field.
    declared = dict((field["id"], "EXAMPLE") for field in credential_type["inputs"]["fields"])
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for template in env.values():
        strict.from_string(template).render(declared)


def inject(credential_type, inputs):
    """The environment AWX gives a job for a credential with these inputs."""
    namespace = dict((key, value) for key, value in inputs.items() if len(value))
    sandbox = ImmutableSandboxedEnvironment()
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type["injectors"]["env"].items())


@pytest.mark.parametrize("inputs, region, api_url, auth_url", [
    ({"api_token": TOKEN}, DEFAULT_REGION, REGIONS[DEFAULT_REGION], DEFAULT_AUTH_URL),
    ({"api_token": TOKEN, "region": "", "api_url": "", "auth_url": ""}, DEFAULT_REGION, REGIONS[DEFAULT_REGION],
     DEFAULT_AUTH_URL),
    ({"api_token": TOKEN, "region": "osc-secnum-fr1"}, "osc-secnum-fr1", REGIONS["osc-secnum-fr1"], DEFAULT_AUTH_URL),
    ({"api_token": TOKEN, "region": "osc-fr1", "api_url": "https://scalingo-proxy.example.com"},
     "osc-fr1", "https://scalingo-proxy.example.com", DEFAULT_AUTH_URL),
    ({"api_token": TOKEN, "region": "simulator", "api_url": "http://127.0.0.1:8080", "auth_url": "http://127.0.0.1:8080"},
     "simulator", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_injected_environment_is_accepted_by_the_modules(credential_type, inputs, region, api_url, auth_url):
    env = inject(credential_type, inputs)
    assert env == {"SCALINGO_API_TOKEN": TOKEN, "SCALINGO_REGION": region, "SCALINGO_API_URL": api_url,
                   "SCALINGO_AUTH_URL": auth_url}
    # The modules and the inventory plugin take these values through their environment fallbacks and
    # check them before any request: none may be empty or malformed.
    assert region_error(env["SCALINGO_REGION"]) is None
    assert url_error(env["SCALINGO_API_URL"], "api_url") is None
    assert url_error(env["SCALINGO_AUTH_URL"], "auth_url") is None


def test_default_api_url_is_the_one_the_client_uses_for_each_known_region(credential_type):
    for region, url in REGIONS.items():
        assert inject(credential_type, {"api_token": TOKEN, "region": region})["SCALINGO_API_URL"] == url
