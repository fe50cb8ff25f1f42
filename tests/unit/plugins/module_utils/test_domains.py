# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils.domains import (
    certificate_matches,
    domain_name_error,
    parse_time,
    subject_pairs,
)


def test_subject_in_openssl_and_rfc4514_forms_are_the_same():
    assert subject_pairs("/C=FR/ST=Some-State/O=Internet Widgits Pty Ltd/CN=example.com") == subject_pairs(
        "CN=example.com, O=Internet Widgits Pty Ltd, ST=Some-State, C=FR")
    assert subject_pairs("/C=FR/CN=a.example.com") != subject_pairs("/C=FR/CN=b.example.com")
    assert subject_pairs(None) == []


@pytest.mark.parametrize("value,expected", [
    ("2015-08-05T19:57:21.000+02:00", 1438797441),
    ("2015-08-05T17:57:21Z", 1438797441),
    ("2015-08-05T17:57:21.123Z", 1438797441.0),
    ("not a date", None),
    (None, None),
])
def test_parse_time(value, expected):
    assert parse_time(value) == expected


def test_certificate_matches_needs_ssl_subject_and_validity():
    local = dict(subject="/C=FR/CN=example.com", not_after="2015-08-05T17:57:21Z")
    domain = dict(ssl=True, tlscert="/C=FR/CN=example.com", validity="2015-08-05T19:57:21.000+02:00")
    assert certificate_matches(domain, local)
    assert not certificate_matches(dict(domain, ssl=False), local)
    assert not certificate_matches(dict(domain, validity="2016-08-05T19:57:21.000+02:00"), local)
    assert not certificate_matches(dict(domain, tlscert="/C=FR/CN=other.com"), local)


@pytest.mark.parametrize("name", ["example.com", "*.example.com", "a-b.c.example.co", "WWW.Example.com"])
def test_valid_names(name):
    assert domain_name_error(name) is None


@pytest.mark.parametrize("name", ["example", "*.com.", "a_b.com", "-a.com", "a-.com", "a..com", "*.*.a.com",
                                  "a.com\n", "x" * 64 + ".com", ("a" * 60 + ".") * 5 + "com", 42, None])
def test_invalid_names(name):
    assert domain_name_error(name, "name").startswith("name: %r is not a valid domain name" % (name,))
