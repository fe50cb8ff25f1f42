# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Timing callback of benchmarks/run.py (not part of the collection).

Appends one JSON line per task result to the file named by ``$SCALINGO_BENCH_TIMINGS``:
``{"task", "uuid", "host", "status", "changed", "task_start", "host_start", "end"}`` (epoch seconds), where
``task_start`` is when the play reached the task and ``host_start`` when the worker for that
host started. Results are never written: only names, status, the changed flag and times.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: benchmark_timer
type: aggregate
short_description: Record the wall time of every task result (benchmarks only)
description:
  - Writes one JSON line per task result to the file named by E(SCALINGO_BENCH_TIMINGS).
requirements:
  - enable in configuration
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "benchmark_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("SCALINGO_BENCH_TIMINGS")
        self._task_start = {}
        self._host_start = {}

    def _write(self, result, status):
        if not self._path:
            return
        now = time.time()
        task = result._task
        host = result._host.get_name()
        entry = {
            "task": task.get_name(),
            "uuid": task._uuid,
            "host": host,
            "status": status,
            "changed": bool(result._result.get("changed")) if isinstance(result._result, dict) else None,
            "task_start": self._task_start.get(task._uuid),
            "host_start": self._host_start.get((task._uuid, host)),
            "end": now,
        }
        with open(self._path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start[task._uuid] = time.time()

    def v2_runner_on_start(self, host, task):
        self._host_start[(task._uuid, host.get_name())] = time.time()

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
