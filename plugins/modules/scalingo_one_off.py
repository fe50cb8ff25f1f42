#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_one_off
short_description: Run a command in a one-off container of a Scalingo app, or stop a running one-off
version_added: 0.1.0
description:
  - Runs O(command) in a one-off container of the app, in the environment of the app plus O(env) and
    O(secret_env), like
    C(scalingo run). Typical uses are database migrations and administrative tasks of a deployment playbook.
  - By default the run is B(attached), like M(ansible.builtin.command) - the module streams the output of the
    command, waits for its end, returns its output and exit status, and fails when the exit status is not zero
    (see O(fail_on_error)).
  - With O(detached=true), the container runs in the background; the module returns as soon as the platform has
    accepted it (or, with O(wait=true), once the container has ended). The output of a detached run goes to
    the logs of the app.
  - With O(state=stopped), the module stops a running one-off container given by O(container).
  - Running a command is an action, so it always reports a change.
  - Sending C(SIGUSR1) or C(SIGUSR2) to a container is not offered by this module.
options:
  app:
    description:
      - Name of the application.
    type: str
    required: true
  state:
    description:
      - V(present) runs O(command) in a new one-off container.
      - V(stopped) stops the running one-off container O(container). When the container is not running (any
        more), nothing changes.
    type: str
    choices: [present, stopped]
    default: present
  command:
    description:
      - Command line to run, for example V(bundle exec rake db:migrate). It is run by the platform, in the
        directory of the app.
      - Required with O(state=present). An empty or blank command is refused.
      - The command is never repeated in failure messages; the module arguments still show it, so keep secrets
        in O(secret_env) rather than in the command.
    type: str
  env:
    description:
      - Environment variables given to the command, in addition to those of the app, whose values are not
        secret (such as V(WEB_CONCURRENCY=2)); they show in the module arguments at high verbosity.
      - Names are letters, digits and underscores, not starting with a digit. Numbers and booleans are passed
        as strings (V(true)/V(false)).
      - Put secret values in O(secret_env) instead.
    type: dict
  secret_env:
    description:
      - Environment variables given to the command whose values are secrets, merged with O(env) into the same
        request. A name given in both O(env) and O(secret_env) is refused.
      - The values are C(no_log) - Ansible masks every occurrence of each value in the whole result, including
        in the output of the command. A short value (like V(2)) would then mask the digits of ids and dates
        everywhere in the result, so give such values in O(env).
      - Same name rules as O(env).
    type: dict
    version_added: 0.2.0
  size:
    description:
      - Size of the one-off container, like V(S), V(M), V(L), V(XL) or V(2XL).
      - When not set, the size is not sent and the platform uses its default (V(M)).
      - A size other than V(S), V(M), V(L), V(XL), V(2XL) and V(3XL) is checked against the sizes the region
        offers (one more request) and refused before the run when the region does not offer it.
    type: str
  detached:
    description:
      - V(false) runs the command attached, collects its output and its exit status.
      - V(true) starts the command in the background and returns without its output; the platform gives no
        exit status for detached runs, only whether the container is still running.
    type: bool
    default: false
  stdin:
    description:
      - Text sent to the standard input of the command before the input is closed (attached runs only).
      - When not set, the input is closed at once.
    type: str
  run_timeout:
    description:
      - Longest time in seconds for the whole attached run, from the run request to the exit status.
      - When the time is up, the module stops the container and fails saying so, with the output read so far.
      - When not set, the module waits as long as the command runs. The platform itself stops an attached
        one-off after about 30 minutes without any output or input; the module then fails saying so.
      - Attached runs only (O(detached=false)).
      - This is not the common O(timeout) option, which bounds each single HTTP request.
    type: int
  fail_on_error:
    description:
      - Whether a non-zero exit status of an attached run fails the task, like M(ansible.builtin.command).
      - With V(false), the task succeeds and RV(rc) gives the exit status; C(failed_when) works too.
    type: bool
    default: true
  container:
    description:
      - With O(state=stopped), the one-off container to stop - its label, like V(one-off-1234) (as C(scalingo ps)
        shows it), or its id.
      - Only one-off containers can be stopped this way.
    type: str
  wait:
    description:
      - With O(detached=true), whether to wait until the container has ended (has left the list of running
        containers of the app), bounded by O(wait_timeout). The platform gives no exit status for detached runs.
      - With O(state=stopped), whether to wait until the container has left the list of running containers.
      - Attached runs always wait for the end of the command; this option does not apply to them.
    type: bool
    default: false
  wait_timeout:
    description:
      - With O(wait=true), how many seconds to wait for the container to end. When the time is up the task fails,
        and the container goes on running.
      - For attached runs, how many seconds to wait for the container to start (its C(start-one-off) operation).
        When the time is up the container is stopped and the task fails.
  poll_interval:
    description:
      - Seconds between two reads of the C(start-one-off) operation of an attached run, and between two reads of
        the running containers when O(wait=true).
      - The API allows 60 requests per minute; keep it at a few seconds.
notes:
  - An attached run follows the C(start-one-off) operation, then connects to the attach URL the platform gives (a
    separate endpoint, on port 5000 on the Scalingo platform, which must be reachable), sends O(stdin) and the
    end-of-transmission character, reads the output until the command ends, then asks the exit status.
  - The output is decoded as UTF-8 (invalid bytes are replaced) and keeps its line endings as sent by the
    platform, which may be C(\r\n). RV(stdout_lines) splits it into lines.
  - The platform runs attached commands with a terminal, so standard error is merged into RV(stdout).
  - At most 10 one-off containers can run at the same time per app.
  - In check mode, the app is read (one request, so that a missing app is noticed) and nothing is run; the module
    reports a change and what it would run. An app that does not exist (yet) gives a warning instead of a
    failure in check mode, for playbooks that create it in an earlier task. With O(state=stopped), the
    containers of the app are read to report whether the container would be stopped.
seealso:
  - module: scalingo.cloud.scalingo_app_info
  - module: ansible.builtin.command
  - name: Scalingo API, run a one-off container
    description: The API endpoints this module uses.
    link: https://developers.scalingo.com/apps#run-a-one-off-container
  - name: Scalingo documentation, tasks
    description: One-off containers on the Scalingo platform.
    link: https://doc.scalingo.com/platform/app/tasks
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and what it would run, without running it.
    support: full
    details:
      - For a run, the app is read and nothing is run. With O(state=stopped), the running containers are read,
        nothing is stopped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: partial
    details:
      - Only O(state=stopped) returns a diff (the container running before, gone after). A run has no diff.
  platform:
    support: full
    platforms: scalingo
  action_group:
    support: full
    membership:
      - scalingo.cloud.scalingo
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
"""

EXAMPLES = r"""
- name: Run the database migrations, failing the play when they fail
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    command: bundle exec rake db:migrate
    api_token: "{{ lookup('ansible.builtin.env', 'SCALINGO_API_TOKEN') }}"

- name: Run a Django command with extra environment variables and a larger container, within 20 minutes
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    command: python manage.py migrate --noinput
    env:
      DJANGO_SETTINGS_MODULE: shop.settings.production
      WEB_CONCURRENCY: 2
    secret_env:
      SENTRY_DSN: "{{ vault_sentry_dsn }}"
    size: L
    run_timeout: 1200
  register: migrate

- name: Show what the migrations printed
  ansible.builtin.debug:
    var: migrate.stdout_lines

- name: Run a check whose exit status is handled by the play
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    command: bin/check-consistency
    fail_on_error: false
  register: check

- name: React to the exit status
  ansible.builtin.debug:
    msg: "Consistency check failed with status {{ check.rc }}"
  when: check.rc != 0

- name: Feed a script to the standard input of a console
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    command: bundle exec rails runner -
    stdin: |
      puts User.count

- name: Start a long import in the background
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    command: bundle exec rake import:catalog
    detached: true
  register: import

- name: Stop the import
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    state: stopped
    container: "{{ import.scalingo_one_off.container.id }}"
    wait: true

- name: Stop a one-off by the label scalingo ps shows
  scalingo.cloud.scalingo_one_off:
    app: my-shop-production
    state: stopped
    container: one-off-1234
"""

RETURN = r"""
scalingo_one_off:
  description:
    - What the module did.
    - For an attached run - RV(scalingo_one_off.container), RV(scalingo_one_off.operation),
      RV(scalingo_one_off.stdout), RV(scalingo_one_off.stdout_lines), RV(scalingo_one_off.rc) and the timings.
    - For a detached run - RV(scalingo_one_off.container), RV(scalingo_one_off.operation),
      RV(scalingo_one_off.detached) and RV(scalingo_one_off.finished).
    - With O(state=stopped) - RV(scalingo_one_off.container) and RV(scalingo_one_off.finished).
    - In check mode - what would run - RV(scalingo_one_off.command), RV(scalingo_one_off.detached),
      RV(scalingo_one_off.size) and RV(scalingo_one_off.env_names).
    - When an attached run fails after the container was created (timeout, lost connection), the failure carries
      the same key with the output read so far.
  returned: always
  type: dict
  contains:
    container:
      description:
        - The one-off container, as the API returned it when the run was requested (without the embedded app
          and the prices of its C(container_size)), or, with O(state=stopped), as the list of running containers
          showed it (V(null) when it was not running).
      returned: always
      type: dict
      sample:
        id: 5250424112dba4edf0000024
        type: one-off
        type_index: 1234
        label: one-off-1234
        state: booting
        created_at: "2015-02-17T22:10:32.692+01:00"
    operation:
      description:
        - The C(start-one-off) operation, in the shape every module of the collection returns operations,
          V(null) when the platform gave none.
        - Before 0.2.0 this was the id alone; it is now RV(scalingo_one_off.operation.id).
      returned: when a run was requested
      type: dict
      contains:
        id:
          description: Operation ID.
          type: str
          sample: 675bf2409307d58e1b1bc595
        url:
          description: URL of the operation resource, on the configured API base.
          type: str
          sample: https://api.osc-fr1.scalingo.com/v1/apps/my-app/operations/675bf2409307d58e1b1bc595
        type:
          description: Operation type, when it was read (attached runs).
          type: str
          sample: start-one-off
        status:
          description: Status, when it was read (attached runs), else V(null).
          type: str
          sample: done
        error:
          description: The error text of an operation that failed, else V(null).
          type: str
        created_at:
          description: When the operation started, when it was read.
          type: str
        finished_at:
          description: When the operation ended, when it was read.
          type: str
    stdout:
      description: The output of the command (standard output and standard error, as the platform's terminal merges them).
      returned: attached runs
      type: str
      sample: "== 20240101 CreateUsers: migrated (0.0021s) ==\r\n"
    stdout_lines:
      description: RV(scalingo_one_off.stdout) split into lines.
      returned: attached runs
      type: list
      elements: str
      sample: ["== 20240101 CreateUsers: migrated (0.0021s) =="]
    rc:
      description: Exit status of the command.
      returned: attached runs that ended
      type: int
      sample: 0
    started_at:
      description: When the module requested the run (UTC, ISO 8601).
      returned: attached runs
      type: str
      sample: "2024-05-02T09:14:03.120411Z"
    finished_at:
      description: When the module got the exit status (UTC, ISO 8601).
      returned: attached runs
      type: str
      sample: "2024-05-02T09:14:41.873002Z"
    duration:
      description: Seconds from the run request to the exit status.
      returned: attached runs
      type: float
      sample: 38.752
    detached:
      description: V(true) for a detached run, or for what would run detached in check mode.
      returned: detached runs and check mode
      type: bool
      sample: true
    finished:
      description:
        - Whether the container has ended (is no longer in the list of running containers of the app).
        - V(false) for a detached run without O(wait=true). The platform gives no exit status for detached runs.
      returned: detached runs and O(state=stopped)
      type: bool
      sample: false
    command:
      description: The command that would run, as given in O(command).
      returned: check mode, O(state=present)
      type: str
      sample: bundle exec rake db:migrate
    size:
      description: The size that would be asked, V(null) for the platform's default.
      returned: check mode, O(state=present)
      type: str
      sample: M
    env_names:
      description: The names of the O(env) and O(secret_env) variables that would be given (never their values).
      returned: check mode, O(state=present)
      type: list
      elements: str
      sample: [DJANGO_SETTINGS_MODULE]
stdout:
  description: Same as RV(scalingo_one_off.stdout), at the top level like M(ansible.builtin.command).
  returned: attached runs
  type: str
  sample: "Migrated.\r\n"
stdout_lines:
  description: Same as RV(scalingo_one_off.stdout_lines).
  returned: attached runs
  type: list
  elements: str
  sample: [Migrated.]
rc:
  description: Same as RV(scalingo_one_off.rc), so that a registered result works like one of M(ansible.builtin.command).
  returned: attached runs that ended
  type: int
  sample: 0
failure:
  description:
    - What failed, when the task failed because of an API answer, a network error, a timeout or the one-off itself;
      the same text as C(msg), in fields. Never a token or a secret value.
  returned: failure
  type: dict
  contains:
    status:
      description: HTTP status of the API answer, when there was one.
      type: int
      sample: 422
    method:
      description: HTTP method of the request that failed.
      type: str
      sample: POST
    path:
      description: Path of the request that failed.
      type: str
      sample: /v1/apps/my-app/run
    errors:
      description: Field errors of the API answer (field name to messages).
      type: dict
      sample: {command: ["can't be blank"]}
    stage:
      description: Where an attached run failed (V(start), V(attach), V(exit_status), V(wait)).
      type: str
      sample: attach
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import read_app
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.formation import offered_size_errors
from ansible_collections.scalingo.cloud.plugins.module_utils.one_off import (
    OneOffError,
    container_label,
    find_container,
    list_containers,
    run_attached,
    run_detached,
    stop,
    wait_gone,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import (
    app_name_error,
    container_size_error,
    env_pair_errors,
    env_strings,
)

MIRRORED = ("stdout", "stdout_lines", "rc")

ARGUMENT_SPEC = dict(
    app=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "stopped"]),
    command=dict(type="str"),
    env=dict(type="dict"),
    secret_env=dict(type="dict", no_log=True),
    size=dict(type="str"),
    detached=dict(type="bool", default=False),
    stdin=dict(type="str"),
    run_timeout=dict(type="int"),
    fail_on_error=dict(type="bool", default=True),
    container=dict(type="str"),
    wait=dict(type="bool", default=False),
)


def input_errors(params):
    """Every rule the options break, checked before any request."""
    errors = [app_name_error(params["app"], "app")]
    if params["state"] == "stopped":
        if not (params["container"] or "").strip():
            errors.append("container: give the label (like one-off-1234) or the id of the one-off to stop")
        return [error for error in errors if error]
    if not (params["command"] or "").strip():
        errors.append("command: required with state=present, and must not be empty or blank")
    errors.extend(env_pair_errors(params["env"], params["secret_env"]))
    errors.append(container_size_error(params["size"]))
    if params["detached"]:
        if params["stdin"] is not None:
            errors.append("stdin: only for attached runs; a detached one-off has no input (detached=true)")
        if params["run_timeout"] is not None:
            errors.append("run_timeout: only for attached runs; with detached=true use wait and wait_timeout")
    if params["run_timeout"] is not None and params["run_timeout"] <= 0:
        errors.append("run_timeout: must be greater than 0 seconds (leave it out for no limit)")
    return [error for error in errors if error]


def mirrored(result):
    return dict((key, result[key]) for key in MIRRORED if key in result)


def fail_run(scalingo, error):
    scalingo.fail(str(error), failure=error.to_dict(), changed=bool(error.result.get("container")),
                  scalingo_one_off=error.result, **mirrored(error.result))


def run_command(scalingo, params):
    client = scalingo.client
    env = env_strings(dict(params["env"] or {}, **(params["secret_env"] or {})))
    if params["detached"]:
        result = run_detached(client, params["app"], params["command"], env=env, size=params["size"],
                              wait=params["wait"], wait_timeout=params["wait_timeout"],
                              interval=params["poll_interval"])
        scalingo.exit(changed=True, scalingo_one_off=result)
    result = run_attached(client, params["app"], params["command"], env=env, size=params["size"],
                          stdin=params["stdin"], run_timeout=params["run_timeout"],
                          wait_timeout=params["wait_timeout"], interval=params["poll_interval"])
    if result["rc"] != 0 and params["fail_on_error"]:
        scalingo.fail("non-zero return code %d from the command of one-off container %s"
                      % (result["rc"], container_label(result["container"])),
                      changed=True, scalingo_one_off=result, **mirrored(result))
    # failed=False keeps Ansible from failing the task on a non-zero rc that fail_on_error=false accepts
    scalingo.exit(changed=True, failed=False, scalingo_one_off=result, **mirrored(result))


def check_run(scalingo, params):
    """Check mode: read the app (a missing app fails as a real run would, unless an earlier task would create
    it), run nothing, report what would run."""
    try:
        read_app(scalingo.client, params["app"])
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, params["app"]):
            raise
    mode = "detached" if params["detached"] else "attached"
    names = sorted(set(params["env"] or {}) | set(params["secret_env"] or {}))
    scalingo.exit(changed=True, msg="check mode: the command would run %s in a one-off container of %s"
                  % (mode, params["app"]),
                  scalingo_one_off=dict(container=None, command=params["command"], detached=params["detached"],
                                        size=params["size"], env_names=names))


def stop_container(scalingo, params):
    client, app = scalingo.client, params["app"]
    container = find_container(list_containers(client, app), params["container"])
    if container is not None and container.get("type") != "one-off":
        scalingo.fail("container: %s is a %s container; only one-off containers can be stopped (restart or scale "
                      "the others)" % (params["container"], container.get("type")))
    running = container is not None and container.get("state") != "stopping"
    label = container_label(container) if container is not None else params["container"]
    diff = dict(before=dict(container=label, state=(container or {}).get("state")),
                after=dict(container=label, state="stopping"))
    if running and not scalingo.check_mode:
        running = stop(client, app, container["id"])
    finished = container is None
    if container is not None and params["wait"] and not scalingo.check_mode:
        finished = wait_gone(client, app, container["id"], params["wait_timeout"], params["poll_interval"])
        if not finished:
            scalingo.fail("the one-off container %s is still listed after wait_timeout (%s s)"
                          % (label, params["wait_timeout"]), changed=running,
                          scalingo_one_off=dict(container=container, finished=False))
    scalingo.exit(changed=running, diff=diff if running else None,
                  scalingo_one_off=dict(container=container, finished=finished))


def run(scalingo):
    params = scalingo.params
    errors = input_errors(params)
    if errors:
        scalingo.fail("; ".join(errors))
    if params["state"] == "stopped":
        stop_container(scalingo, params)
    elif scalingo.check_mode:
        check_run(scalingo, params)
    else:
        errors = offered_size_errors(scalingo.client, [("size", params["size"])])
        if errors:
            scalingo.fail("; ".join(errors))
        try:
            run_command(scalingo, params)
        except OneOffError as error:
            fail_run(scalingo, error)


def main():
    run_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
