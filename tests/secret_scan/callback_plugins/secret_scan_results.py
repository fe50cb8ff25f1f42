# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of the secret scan: appends every task result, as callbacks see it, to $SECRET_SCAN_RESULTS."""

from __future__ import annotations

DOCUMENTATION = """
name: secret_scan_results
type: aggregate
short_description: write every task result to a JSON lines file for the secret scan
description:
  - Appends each task result (as callbacks receive it, so C(no_log) results are censored) to the file
    named by the E(SECRET_SCAN_RESULTS) environment variable.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'secret_scan_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get('SECRET_SCAN_RESULTS')

    def _write(self, status, result):
        if not self._path:
            return
        if hasattr(result, 'clean_copy'):   # ansible-core < 2.19: censor no_log results as displays do
            result = result.clean_copy()
        data = getattr(result, 'result', None)
        if data is None:
            data = result._result  # pylint: disable=protected-access
        line = json.dumps({'host': result._host.get_name(), 'task': result._task.get_name(),  # pylint: disable=protected-access
                           'status': status, 'result': data}, default=str, sort_keys=True)
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(line + '\n')

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)

    def v2_runner_item_on_ok(self, result):
        self._write('item_ok', result)

    def v2_runner_item_on_failed(self, result):
        self._write('item_failed', result)
