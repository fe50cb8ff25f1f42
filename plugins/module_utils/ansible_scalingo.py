# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module glue: shared argument spec, results, diff, check mode and failures.

A module is::

    def main_logic(scalingo):                 # scalingo is an AnsibleScalingo
        app = scalingo.client.get("/apps/%s" % name).json["app"]
        scalingo.exit(changed=False, scalingo_app=app)

    def main():
        run_module(dict(name=dict(type="str", required=True)), main_logic)

Every module accepts the common options (connection and wait options), so that ``module_defaults`` for the
action group can set any of them; a module that waits longer by default overrides ``wait_timeout`` in its
own argument spec.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    DEFAULT_REGION,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    ScalingoAPIError,
    ScalingoClient,
    ScalingoError,
    scrub,
    token_error,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.operations import operation_result
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import number_error, region_error, url_error

# number options checked finite and in range before any request: (minimum, greater than it, maximum)
NUMBER_OPTIONS = (
    ("timeout", 0, True, 3600),
    ("wait_timeout", 0, False, 7 * 86400),
    ("poll_interval", 0, True, 3600),
    ("run_timeout", 0, True, 7 * 86400),
)


# Options that every module accepts (doc fragments scalingo.cloud.scalingo and scalingo.cloud.scalingo.wait, or
# scalingo.cloud.scalingo.wait_unused for the modules that never wait): module_defaults can set them for the group.
COMMON_OPTIONS = ("api_token", "region", "api_url", "auth_url", "validate_certs", "timeout", "bearer_cache",
                  "wait", "wait_timeout", "poll_interval")


def scalingo_argument_spec():
    """The common options (COMMON_OPTIONS): connection options and wait options."""
    return dict(
        api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SCALINGO_API_TOKEN"])),
        region=dict(type="str", default=DEFAULT_REGION, fallback=(env_fallback, ["SCALINGO_REGION"])),
        api_url=dict(type="str", fallback=(env_fallback, ["SCALINGO_API_URL"])),
        auth_url=dict(type="str", fallback=(env_fallback, ["SCALINGO_AUTH_URL"])),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="float", default=30),
        bearer_cache=dict(type="bool", default=True, fallback=(env_fallback, ["SCALINGO_BEARER_CACHE"])),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=2),
    )


def common_option_errors(params):
    """Messages for common options that break their rules, checked before any request."""
    token = params.get("api_token")
    if not token or not token.strip():
        return ["api_token: no API token given; set the api_token option or the SCALINGO_API_TOKEN "
                "environment variable"]
    errors = [token_error(token.strip())]
    errors.extend(url_error(params.get(option), option, params.get("validate_certs", True))
                  for option in ("api_url", "auth_url"))
    errors.append(region_error(params.get("region")))
    errors.extend(number_error(params.get(option), option, minimum, above, maximum)
                  for option, minimum, above, maximum in NUMBER_OPTIONS)
    return [e for e in errors if e]


def make_diff(before, after, keys=None):
    """A ``diff`` dict (``before``/``after``) limited to ``keys`` when given; None stands for absent."""
    def pick(data):
        if data is None:
            return {}
        return dict((k, data.get(k)) for k in keys) if keys is not None else dict(data)
    return dict(before=pick(before), after=pick(after))


class AnsibleScalingo:
    """What a module's logic works with: ``module``, ``client``, ``check_mode``, ``diff_mode``."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.diff_mode = module._diff
        self._client = None

    @property
    def client(self):
        if self._client is None:
            p = self.params
            self._client = ScalingoClient(
                p["api_token"], region=p["region"], api_url=p["api_url"], auth_url=p["auth_url"],
                validate_certs=p["validate_certs"], timeout=p["timeout"], bearer_cache=p["bearer_cache"],
                sleep=time.sleep)  # looked up now, so that tests can patch time.sleep
        return self._client

    def _secrets(self):
        secrets = [self.params.get("api_token")]
        if self._client is not None:
            secrets.extend(self._client._secrets)
        return secrets

    def _flush_warnings(self):
        if self._client is not None:
            while self._client.warnings:
                self.module.warn(scrub(self._client.warnings.pop(0), self._secrets()))

    def fail(self, msg, **extra):
        """fail_json, never leaking secrets."""
        self._flush_warnings()
        secrets = self._secrets()
        self.module.fail_json(msg=scrub(msg, secrets), **scrub(extra, secrets))

    def fail_from_error(self, error, **extra):
        """ScalingoError -> fail_json(msg=str(e), failure=e.to_dict())."""
        self.fail(str(error), failure=error.to_dict(), **extra)

    def exit(self, changed, diff=None, **result):
        """exit_json; ``diff`` is returned only when the module runs with --diff."""
        self._flush_warnings()
        if self.diff_mode and diff is not None:
            result["diff"] = diff
        self.module.exit_json(changed=changed, **scrub(result, self._secrets(), patterns=False))

    def wait_for_operation(self, location):
        """Follow an operation with the wait_timeout and poll_interval options."""
        return self.client.wait_for_operation(
            location, timeout=self.params.get("wait_timeout", 300), interval=self.params.get("poll_interval", 2))

    def app_missing_in_check_mode(self, error, app):
        """True, with a warning, when ``error`` is the API's 404 for ``app`` in check mode.

        A playbook that creates an app and then configures it must pass ``--check``: the modules that act on
        an app report what they would do instead of failing on an app that an earlier task would create. A
        real run still fails on a missing app (the caller re-raises when this returns False)."""
        if not (self.check_mode and isinstance(error, ScalingoAPIError) and error.status == 404
                and error.resource == "app"):
            return False
        self.module.warn("app %s does not exist (yet): check mode reports what would be done to it once an "
                         "earlier task has created it; a real run fails if it still does not exist" % app)
        return True

    def operation_result(self, app, operation):
        """An operation in the one shape every module returns (see operation_result)."""
        return operation_result(self.client, app, operation)

    make_diff = staticmethod(make_diff)


def run_module(argument_spec, main, **module_kwargs):
    """Build the AnsibleModule (common options + ``argument_spec``, which may override a common option's
    default, check mode supported), check requests and
    the common options, then call ``main(scalingo)``; a ScalingoError becomes a structured failure."""
    spec = scalingo_argument_spec()
    spec.update(argument_spec)
    module_kwargs.setdefault("supports_check_mode", True)
    try:
        module = AnsibleModule(argument_spec=spec, **module_kwargs)
    except OverflowError:
        # ansible-core crashes turning an infinite float into an int: take the number options as given,
        # so that common_option_errors names the option and the rule instead
        for option in [item[0] for item in NUMBER_OPTIONS if item[0] in spec]:
            spec[option] = dict(spec[option], type="raw")
        module = AnsibleModule(argument_spec=spec, **module_kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    scalingo = AnsibleScalingo(module)
    errors = common_option_errors(module.params)
    if errors:
        scalingo.fail("; ".join(errors))
    try:
        main(scalingo)
    except ScalingoError as error:
        scalingo.fail_from_error(error)
