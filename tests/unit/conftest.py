# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of every unit test.

- ``cache_dir`` (autouse): SCALINGO_CACHE_DIR points to a fresh directory; SCALINGO_* variables are cleared.
- ``api``: an ``ApiMock`` (see utils.py) with the token exchange registered; unmatched requests fail.
- ``run_module``: ``run_module(module, args, check_mode=False, diff=False)`` -> result dict with ``failed``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import responses

from ansible_collections.scalingo.cloud.tests.unit.utils import ApiMock, run_module as _run_module


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("SCALINGO_"):
            monkeypatch.delenv(name)
    path = tmp_path / "scalingo-cache"
    monkeypatch.setenv("SCALINGO_CACHE_DIR", str(path))
    return path


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ApiMock(mock)


@pytest.fixture
def run_module():
    return _run_module


class FakeClock:
    """Replaces time.sleep and time.monotonic: sleeping advances the clock and is recorded."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A FakeClock patched over time.sleep and time.monotonic (clients built by modules use it)."""
    fake = FakeClock()
    monkeypatch.setattr("time.sleep", fake.sleep)
    monkeypatch.setattr("time.monotonic", fake.monotonic)
    return fake
