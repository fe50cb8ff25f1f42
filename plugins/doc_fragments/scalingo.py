# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Common options of every module (connection and authentication)
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - Scalingo API token (C(tk-us-...)), created in the dashboard or with C(scalingo login).
      - Required, here or in the E(SCALINGO_API_TOKEN) environment variable; the task fails naming both
        when neither is set.
      - The token is exchanged for a bearer token valid one hour, which is cached (see O(bearer_cache)).
      - Never shown in results, warnings or errors.
      - If not set, the value of the E(SCALINGO_API_TOKEN) environment variable is used.
    type: str
  region:
    description:
      - Scalingo region of the apps, which picks the API URL.
      - V(osc-fr1) and V(osc-secnum-fr1) are known; any other region is looked up once in the
        regions list of the authentication service.
      - Ignored when O(api_url) is set.
      - If not set, the value of the E(SCALINGO_REGION) environment variable is used.
    type: str
    default: osc-fr1
  api_url:
    description:
      - Base URL of the regional API, for example V(https://api.osc-fr1.scalingo.com), a proxy or a local
        simulator. A trailing C(/v1) is accepted. Wins over O(region).
      - Must be an absolute C(https://) URL; C(http://) is accepted only towards a loopback address
        (C(127.0.0.1), C(::1), C(localhost)) or when O(validate_certs=false).
      - If not set, the value of the E(SCALINGO_API_URL) environment variable is used.
    type: str
  auth_url:
    description:
      - Base URL of the authentication service, which exchanges O(api_token) for a bearer token.
      - Same URL rules as O(api_url).
      - If not set, the value of the E(SCALINGO_AUTH_URL) environment variable is used, else
        V(https://auth.scalingo.com).
    type: str
  validate_certs:
    description:
      - Whether to check the TLS certificates of the API and of the authentication service.
    type: bool
    default: true
  timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30
  bearer_cache:
    description:
      - Whether to keep the bearer token in a cache file, so that the tasks of a playbook exchange the
        API token once an hour instead of once per task.
      - When V(false), the bearer token stays in memory for the task only.
      - If not set, the value of the E(SCALINGO_BEARER_CACHE) environment variable is used.
    type: bool
    default: true
requirements:
  - requests
notes:
  - The bearer cache is one file per API token, named after a SHA-256 hash of the authentication URL and
    the token (the token itself is never written), in E(SCALINGO_CACHE_DIR), else
    C($XDG_CACHE_HOME/scalingo.cloud), else C(~/.cache/scalingo.cloud) on the managed host. The directory
    has mode C(0700) and the file mode C(0600); the bearer is renewed when less than 5 minutes remain.
  - Requests refused with HTTP 429 are retried after the C(Retry-After) delay. Server errors and network
    failures are retried for reads only; a write whose outcome is unknown is never repeated, and the task
    fails saying so.
seealso:
  - name: Scalingo API documentation
    description: The REST API v1 used by this collection.
    link: https://developers.scalingo.com/
"""

    # Options of the modules that wait for an operation or an asynchronous job (scale, restart, one-off, addon,
    # deployment, ...)
    WAIT = r"""
options:
  wait:
    description:
      - Whether to wait until the operation started by the module ends.
      - With V(false), the module returns once the platform has accepted the request.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the operation when O(wait=true).
      - When the time is up the task fails, but the operation goes on on the platform.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two polls of the operation when O(wait=true).
      - The API allows 60 requests per minute; keep it at a few seconds.
    type: float
    default: 2
"""

    # The wait options of the modules that never wait (app, app_info, ...): accepted so that module_defaults
    # for the action group can set them for every module
    WAIT_UNUSED = r"""
options:
  wait:
    description:
      - Common option of the collection's modules; this module has nothing to wait for and ignores it.
      - Accepted so that C(module_defaults) for C(group/scalingo.cloud.scalingo) can set it for every module.
    type: bool
    default: true
  wait_timeout:
    description:
      - Common option of the collection's modules; this module has nothing to wait for and ignores it.
      - Accepted so that C(module_defaults) for C(group/scalingo.cloud.scalingo) can set it for every module.
    type: int
    default: 300
  poll_interval:
    description:
      - Common option of the collection's modules; this module has nothing to wait for and ignores it.
      - Accepted so that C(module_defaults) for C(group/scalingo.cloud.scalingo) can set it for every module.
    type: float
    default: 2
"""

    # Attributes shared by every module; each module adds check_mode and diff_mode
    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Use C(group/scalingo.cloud.scalingo) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - scalingo.cloud.scalingo
  platform:
    description: Target on which the module runs; it talks to the Scalingo API from there.
    support: full
    platforms: all
"""

    # Option of the modules whose request the platform refuses while the app is busy (scale, restart)
    WAIT_FOR_IDLE = r"""
options:
  wait_for_idle:
    description:
      - An app busy with another operation (a scale, a restart or a deployment) refuses the request.
      - When V(false), the task then fails saying that the app is busy.
      - When V(true), the module polls the app until that operation ends (at most O(wait_timeout) seconds,
        every O(poll_interval) seconds) and sends the request again.
    type: bool
    default: false
"""

    # Connection options of the inventory plugin: the modules' options, read from the inventory file or
    # from the same environment variables
    INVENTORY = r"""
options:
  api_token:
    description:
      - Scalingo API token (C(tk-us-...)), created in the dashboard or with C(scalingo login).
      - Required, here or in the E(SCALINGO_API_TOKEN) environment variable. Prefer the environment
        variable (AWX and Automation Controller set it from the C(Scalingo API) credential), so that the
        token stays out of the inventory file. The value is used as is, never templated.
      - The token is exchanged for a bearer token valid one hour, which is cached (see O(bearer_cache)).
      - Never shown in the inventory, in its cache, in warnings or in errors.
    type: str
    env:
      - name: SCALINGO_API_TOKEN
  api_url:
    description:
      - Base URL of the regional API, for example V(https://api.osc-fr1.scalingo.com), a proxy or a local
        simulator. A trailing C(/v1) is accepted.
      - Used only when O(regions) names a single region, as the API of that region (it wins over the
        region's own URL, as O(scalingo.cloud.scalingo_app#module:api_url) does for the modules). With
        several regions or V(all), each region's API is the one the authentication service lists for it,
        and this option is not used.
      - Must be an absolute C(https://) URL; C(http://) is accepted only towards a loopback address
        (C(127.0.0.1), C(::1), C(localhost)) or when O(validate_certs=false).
    type: str
    env:
      - name: SCALINGO_API_URL
  auth_url:
    description:
      - Base URL of the authentication service, which exchanges O(api_token) for a bearer token and lists
        the regions (C(GET /v1/regions)).
      - Same URL rules as O(api_url).
      - When not set, V(https://auth.scalingo.com).
    type: str
    env:
      - name: SCALINGO_AUTH_URL
  validate_certs:
    description:
      - Whether to check the TLS certificates of the API and of the authentication service.
    type: bool
    default: true
  timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30
  bearer_cache:
    description:
      - Whether to keep the bearer token in the cache file the modules use, so that inventory refreshes and
        the tasks of a playbook exchange the API token once an hour instead of once per run.
      - When V(false), the bearer token stays in memory for the refresh only.
    type: bool
    default: true
    env:
      - name: SCALINGO_BEARER_CACHE
requirements:
  - requests
notes:
  - The bearer cache is the modules' one (one file per API token, named after a SHA-256 hash of the
    authentication URL and the token, in E(SCALINGO_CACHE_DIR), else C($XDG_CACHE_HOME/scalingo.cloud),
    else C(~/.cache/scalingo.cloud), mode C(0600) in a C(0700) directory); it is not the inventory cache
    of O(cache).
  - Requests refused with HTTP 429 (60 requests per minute per token) are retried after the
    C(Retry-After) delay; server errors and network failures of these reads are retried too.
"""
