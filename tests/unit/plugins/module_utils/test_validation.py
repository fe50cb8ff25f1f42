# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import validation
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import (
    app_name_error,
    is_loopback,
    region_error,
    url_error,
)


@pytest.mark.parametrize("name", ["my-app", "abcdef", "a1-b2-c3", "123456", "a" * 48, "web-app-2"])
def test_valid_app_names(name):
    assert app_name_error(name) is None


@pytest.mark.parametrize("name", ["My_App", "abcde", "a" * 49, "-my-app", "my-app-", "my--app", "my app",
                                  "my.app", "", None, "émilie-app"])
def test_invalid_app_names(name):
    assert app_name_error(name) == (
        "name: %r is not a valid Scalingo app name: 6 to 48 lowercase letters, digits and hyphens, "
        "no hyphen at either end and no two hyphens in a row" % (name,))


def test_app_name_message_quotes_the_value():
    assert app_name_error("My_App").startswith("name: 'My_App' is not a valid Scalingo app name: 6 to 48 ")


def test_child_app_names():
    assert app_name_error("c" * 32, child=True) is None
    assert app_name_error("c" * 33, option="name", child=True) == (
        "name: %r is not a valid Scalingo child app name: 6 to 32 lowercase letters, digits and hyphens, "
        "no hyphen at either end and no two hyphens in a row" % ("c" * 33))
    assert app_name_error("Bad", option="parent").startswith("parent: 'Bad' is not")


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("api.localhost", True), ("10.0.0.1", False), ("::2", False),
    ("example.com", False), ("localhost.example.com", False), (None, False),
])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


@pytest.mark.parametrize("value, validate_certs, expected", [
    (None, True, None),
    ("https://api.osc-fr1.scalingo.com", True, None),
    ("http://127.0.0.1:8080/v1", True, None),
    ("http://example.com", False, None),
    ("http://example.com", True,
     "api_url: http:// sends the token in clear text; use https://, a loopback address, or validate_certs=false"),
    ("https://example.com:99999", True, "api_url: 'https://example.com:99999' is not an absolute http(s) URL"),
    ("https://user:pw@example.com", True, "api_url: the URL must not carry credentials, a query or a fragment"),
    ("https://example.com/?a=1", True, "api_url: the URL must not carry credentials, a query or a fragment"),
    ("/v1", True, "api_url: '/v1' is not an absolute http(s) URL with a host"),
])
def test_url_error(value, validate_certs, expected):
    error = url_error(value, "api_url", validate_certs)
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


def test_region_error():
    assert region_error("osc-fr1") is None
    assert region_error("osc_fr1") == "region: 'osc_fr1' is not a valid region name: lowercase letters, digits and hyphens, like osc-fr1"


def test_env_pair_errors_name_the_variable_and_the_rule_never_the_value():
    errors = validation.env_pair_errors(
        {"PLAIN": "a", "BOTH": "s3cret", "LONG": "x" * 9, "N" * 65: "v", "BAD\n": "v"},
        {"BOTH": "s3cret", "TOKEN": "s3cret"}, max_name=64, max_value=8)
    assert errors == [
        "env: 'BAD\\n' is not a valid environment variable name: letters, digits and underscores, not starting "
        "with a digit",
        "env: the value of LONG is 9 characters long; the platform takes at most 8",
        "env: the name %s is 65 characters long; the platform takes at most 64" % ("N" * 65),
        "env and secret_env: BOTH given in both; give each variable once, in secret_env when its value is a secret",
    ]
    assert not any("s3cret" in error for error in errors)
    assert validation.env_pair_errors(None, None) == []


def test_env_strings_are_what_the_platform_stores():
    assert validation.env_strings({"A": 2, "B": True, "C": False, "D": 1.5, "E": "x"}) == {
        "A": "2", "B": "true", "C": "false", "D": "1.5", "E": "x"}
