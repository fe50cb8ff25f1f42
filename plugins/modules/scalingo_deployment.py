#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_deployment
short_description: Deploy code to a Scalingo app from an archive URL, a local archive or a local folder
version_added: 0.2.0
description:
  - Deploys code to a Scalingo app, from exactly one of O(source_url) (an archive the platform downloads),
    O(archive) (a local C(.tar.gz) file) or O(source_dir) (a local folder, packed by the module).
  - A local archive or folder is uploaded through the platform's sources (C(POST /sources) and a C(PUT) to the
    pre-authenticated upload URL it gives), then deployed from the download URL.
  - Waits for the deployment to end (unless O(wait=false)) and fails when it does not end in V(success), with
    its status and the last lines of its build output in the message (unless O(fail_on_error=false)). This
    makes it fit for CI pipelines and AWX job templates, where a failed build must fail the job.
  - Idempotent by O(git_ref), the label of the deployment. When the latest successful deployment of the app
    has the same O(git_ref), nothing is deployed and the task reports no change (O(force=true) deploys anyway).
    Without O(git_ref), a local archive or folder is labelled with the hash of its content, so that unchanged
    code is not deployed again; a O(source_url) without O(git_ref) is deployed on every run.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  source_url:
    description:
      - URL of a gzipped tar archive that the platform downloads and deploys, for example the C(.tar.gz) archive
        of a tag of a GitHub repository.
      - The archive must hold exactly one folder at its root, with the sources inside.
      - Exactly one of O(source_url), O(archive) and O(source_dir) is required.
      - The URL is never returned and never quoted in messages; if it carries a credential (a pre-signed URL),
        also set C(no_log) on the task, since Ansible shows the module's arguments at high verbosity.
    type: str
  archive:
    description:
      - Path of a local gzipped tar archive (C(.tar.gz)) on the host that runs the module, holding exactly one
        folder at its root.
      - It is checked before any request (a gzipped tar with one top-level folder), then uploaded.
      - Exactly one of O(source_url), O(archive) and O(source_dir) is required.
    type: path
  source_dir:
    description:
      - Path of a local folder on the host that runs the module, whose content is deployed.
      - The module packs it into a gzipped tar archive under one top-level folder named C(source), as the
        platform requires, then uploads it. Packing is reproducible (entries sorted, fixed dates, no owner names,
        modes reduced to 0755 or 0644), so that the same content gives the same archive and the same content
        hash.
      - Symbolic links are kept as links; other special files are left out with a warning.
      - Exactly one of O(source_url), O(archive) and O(source_dir) is required.
    type: path
  exclude:
    description:
      - With O(source_dir), shell patterns of the names (or paths relative to O(source_dir)) to leave out of the
        archive, at any depth. A left-out folder is left out with its content.
      - The default leaves out C(.git) folders, which the platform does not need and which would change the
        content hash on every commit.
    type: list
    elements: str
    default: [.git]
  git_ref:
    description:
      - The label of the deployment, usually a git commit SHA, a tag or a version.
      - It must not start with C(-) nor contain spaces or control characters (the platform uses it in the tag of
        the image it builds).
      - When not given with O(archive) or O(source_dir), the module uses C(sha256-) followed by the first 40
        hexadecimal digits of the SHA-256 of the uncompressed tar stream, so that the same content gives the
        same ref.
      - When not given with O(source_url), the deployment has no label and every run deploys.
    type: str
  force:
    description:
      - Deploy even when the latest successful deployment of the app has the same O(git_ref).
    type: bool
    default: false
  fail_on_error:
    description:
      - When V(true), a deployment that ends in another status than V(success) (V(build-error),
        V(crashed-error), V(timeout-error), V(hook-error), V(aborted)) fails the task, with the status and the
        last lines of the build output in the message.
      - When V(false), the task succeeds (changed) and RV(scalingo_deployment.status) says how the deployment
        ended.
    type: bool
    default: true
  output_lines:
    description:
      - How many of the last lines of the build output RV(scalingo_deployment.output_lines) returns once the
        deployment has ended. V(0) returns the whole output.
      - A failure message quotes at most the last 20 of them.
    type: int
    default: 100
  wait:
    description:
      - Whether to wait until the deployment ends (its status is no longer V(queued), V(building), V(pushing) or
        V(starting)).
      - With V(false), the module returns once the platform has accepted the deployment, with its first status.
  wait_timeout:
    description:
      - How many seconds to wait for the deployment when O(wait=true). Builds take minutes, hence the longer
        default.
      - When the time is up the task fails, but the deployment goes on on the platform.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two reads of the deployment when O(wait=true).
      - The API allows 60 requests per minute; keep it at a few seconds.
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the deployments of the app and packs or checks the local archive (to know its content hash), but
        uploads nothing and deploys nothing; reports whether it would deploy (RV(ignore:changed)) and which ref
        (RV(scalingo_deployment.git_ref)).
      - An app that does not exist (yet) is reported as one that would be deployed, with a warning.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The C(git_ref) of the latest successful deployment before, and the one deployed after.
notes:
  - A run that deploys nothing sends exactly one request, C(GET /apps/{app}/deployments) (the most recent
    deployments, newest first; the latest successful one is looked for among them).
  - A deployment from a local archive or folder sends C(GET /apps/{app}/deployments), C(POST /sources), the
    C(PUT) of the archive to the upload URL (without the API bearer), and C(POST /apps/{app}/deployments); from
    O(source_url), only the first and the last. With O(wait=true), the deployment is then read every
    O(poll_interval) seconds until it ends, and its build output once (C(GET .../output)).
  - When a deployment of the same O(git_ref) is still going on (a run with O(wait=false) started it), no second
    one is started; the module follows that one (with O(wait=true)) and reports no change, with a warning.
  - The platform runs one deployment at a time per app; a deployment requested while another one runs is
    queued (status V(queued)) until the other one ends.
  - If the connection drops after the deployment request was sent, the task fails saying that the outcome is
    unknown; the request is never repeated. The upload of the archive is repeated (twice at most) on a network
    failure or a server error, since sending the same bytes again is harmless.
seealso:
  - module: scalingo.cloud.scalingo_app
  - module: scalingo.cloud.scalingo_scale
  - name: Deployments (API)
    description: The API requests this module sends.
    link: https://developers.scalingo.com/deployments
  - name: Sources (API)
    description: The temporary upload and download locations of local archives.
    link: https://developers.scalingo.com/sources
"""

EXAMPLES = r"""
- name: Deploy the folder of the app, labelled with the commit being built (CI)
  scalingo.cloud.scalingo_deployment:
    app: my-app
    source_dir: "{{ playbook_dir }}/app"
    git_ref: "{{ lookup('ansible.builtin.env', 'CI_COMMIT_SHA') }}"

- name: Deploy a local folder; unchanged content is not deployed again (content hash ref)
  scalingo.cloud.scalingo_deployment:
    app: my-app
    source_dir: /srv/build/my-app
    exclude:
      - .git
      - node_modules
  register: deployment

- name: Deploy a release archive built earlier in the pipeline
  scalingo.cloud.scalingo_deployment:
    app: my-app
    archive: /tmp/my-app-v1.4.2.tar.gz
    git_ref: v1.4.2

- name: Deploy a tag of a public repository, straight from its archive URL
  scalingo.cloud.scalingo_deployment:
    app: my-app
    source_url: https://github.com/Scalingo/sample-go-martini/archive/refs/tags/v1.0.0.tar.gz
    git_ref: v1.0.0

- name: Redeploy the same version (for example after an environment change)
  scalingo.cloud.scalingo_deployment:
    app: my-app
    archive: /tmp/my-app-v1.4.2.tar.gz
    git_ref: v1.4.2
    force: true

- name: Deploy, and decide what to do with a failed build in the next tasks
  scalingo.cloud.scalingo_deployment:
    app: my-app
    source_dir: ./app
    fail_on_error: false
    output_lines: 0
  register: deployment

- name: Show the build output of a failed deployment
  ansible.builtin.debug:
    var: deployment.scalingo_deployment.output_lines
  when: deployment.scalingo_deployment.status != 'success'

- name: Start a deployment without waiting for it
  scalingo.cloud.scalingo_deployment:
    app: my-app
    source_dir: ./app
    wait: false
"""

RETURN = r"""
scalingo_deployment:
  description:
    - The deployment that was made, or the latest successful one of the same O(git_ref) when nothing was deployed.
    - In check mode, when the module would deploy, only RV(scalingo_deployment.git_ref) is known (the other keys
      are null).
  returned: success, and on the failure of a deployment (failed build, wait timeout)
  type: dict
  contains:
    id:
      description: Deployment ID.
      type: str
      sample: 5e34a76a-24b7-4d50-be96-942ca986a786
    status:
      description:
        - Status of the deployment. V(success) once deployed; V(build-error), V(crashed-error), V(timeout-error),
          V(hook-error) or V(aborted) when it failed; V(queued), V(building), V(pushing) or V(starting) while it
          goes on (with O(wait=false)).
      type: str
      sample: success
    git_ref:
      description: The label of the deployment (O(git_ref), or the content hash of a local archive or folder).
      type: str
      sample: sha256-3f786850e387550fdab836ed7e6dc881de23001b
    created_at:
      description: When the deployment was created.
      type: str
      sample: "2026-11-30T10:49:42.390+01:00"
    finished_at:
      description: When the deployment ended, where the platform gives it; null otherwise.
      type: str
      sample: "2026-11-30T10:52:12.000+01:00"
    duration:
      description: Duration of the deployment in seconds, where the platform gives it; null otherwise.
      type: int
      sample: 150
    output_lines:
      description:
        - The last O(output_lines) lines of the build output (all of them with O(output_lines=0)), once the
          deployment has ended; empty when nothing was deployed, in check mode and with O(wait=false).
      type: list
      elements: str
      sample:
        - "-----> Procfile declares types -> web"
        - "-----> Application deployed"
failure:
  description:
    - Structured description of the failure.
    - For a deployment that ended in error, C(type) is C(DeploymentFailed) and C(status) and C(deployment_id) say
      which one; for a wait that timed out, C(type) is C(ScalingoTimeoutError) and C(operation) holds the last state
      of the deployment; for a refused request, the API error (C(status), C(method), C(path), C(errors)).
  returned: failure
  type: dict
  sample:
    type: DeploymentFailed
    message: deployment 5e34a76a-24b7-4d50-be96-942ca986a786 of app my-app (git_ref v1.4.2) ended in build-error
    status: build-error
    deployment_id: 5e34a76a-24b7-4d50-be96-942ca986a786
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError, ScalingoError, ScalingoTimeoutError
from ansible_collections.scalingo.cloud.plugins.module_utils.deployments import (
    MESSAGE_LINES,
    SUCCESS,
    ArchiveError,
    create_deployment,
    create_source,
    deployment_output,
    deployment_result,
    git_ref_error,
    in_progress,
    inspect_archive,
    latest_success,
    open_archive,
    output_lines_error,
    pack_directory,
    recent_deployments,
    source_url_error,
    spooled_archive,
    tail,
    upload,
    wait_for_deployment,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error


def diff_of(before, after):
    return dict(before=dict(git_ref=before), after=dict(git_ref=after))


def finish(scalingo, app, deployment, changed, diff):
    """Wait for ``deployment`` to end, read its build output, then exit (or fail on a failed deployment)."""
    params = scalingo.params
    client = scalingo.client
    try:
        deployment = wait_for_deployment(client, app, deployment, params["wait_timeout"], params["poll_interval"])
    except ScalingoTimeoutError as error:
        last = error.operation or deployment
        lines = []
        try:
            lines = tail(deployment_output(client, app, last.get("id")), params["output_lines"])
        except ScalingoError:
            pass   # the output is a help, the timeout is the failure
        scalingo.fail(str(error), changed=changed, failure=error.to_dict(),
                      scalingo_deployment=deployment_result(last, lines))
    output = deployment_output(client, app, deployment.get("id"))
    result = deployment_result(deployment, tail(output, params["output_lines"]))
    status = deployment.get("status")
    if status != SUCCESS and params["fail_on_error"]:
        quoted = tail(output, min(params["output_lines"] or MESSAGE_LINES, MESSAGE_LINES))
        summary = "deployment %s of app %s (git_ref %s) ended in %s" % (
            deployment.get("id"), app, deployment.get("git_ref"), status)
        message = summary + (("; last lines of the build output:\n" + "\n".join(quoted)) if quoted
                             else "; the build output is empty")
        scalingo.fail(message, changed=changed, scalingo_deployment=result,
                      failure=dict(type="DeploymentFailed", message=summary, status=status,
                                   deployment_id=deployment.get("id")))
    scalingo.exit(changed=changed, diff=diff, scalingo_deployment=result)


def local_source(scalingo):
    """``(file, ref)``: the open archive to upload (None for source_url) and its content hash ref."""
    params = scalingo.params
    try:
        if params["archive"]:
            return None, inspect_archive(params["archive"])
        if params["source_dir"]:
            handle = spooled_archive()
            ref, skipped = pack_directory(params["source_dir"], handle, params["exclude"])
            if skipped:
                scalingo.module.warn("source_dir: left out of the archive (neither files, folders nor symbolic "
                                     "links): %s" % ", ".join(skipped[:10]) + (", ..." if len(skipped) > 10 else ""))
            return handle, ref
    except ArchiveError as error:
        scalingo.fail(str(error))
    return None, None


def main_logic(scalingo):
    params = scalingo.params
    app = params["app"]
    errors = [app_name_error(app, "app"), git_ref_error(params["git_ref"]), source_url_error(params["source_url"]),
              output_lines_error(params["output_lines"])]
    errors = [error for error in errors if error]
    if errors:
        scalingo.fail("; ".join(errors))
    packed, content_ref = local_source(scalingo)
    ref = params["git_ref"] or content_ref
    client = scalingo.client

    try:
        recent = recent_deployments(client, app)
    except ScalingoAPIError as error:
        if scalingo.app_missing_in_check_mode(error, app):
            scalingo.exit(changed=True, diff=diff_of(None, ref), scalingo_deployment=deployment_result(dict(git_ref=ref)))
        raise
    current = latest_success(recent)
    current_ref = current.get("git_ref") if current else None
    if ref is not None and not params["force"]:
        if current is not None and current_ref == ref:
            scalingo.exit(changed=False, diff=diff_of(current_ref, current_ref),
                          scalingo_deployment=deployment_result(current))
        running = in_progress(recent, ref)
        if running is not None:
            scalingo.module.warn("deployment %s of git_ref %s is already going on (status %s): no second one is "
                                 "started%s" % (running.get("id"), ref, running.get("status"),
                                                "; the module follows it" if params["wait"] else ""))
            if scalingo.check_mode or not params["wait"]:
                scalingo.exit(changed=False, diff=diff_of(current_ref, current_ref),
                              scalingo_deployment=deployment_result(running))
            finish(scalingo, app, running, False, diff_of(current_ref, current_ref))
    diff = diff_of(current_ref, ref)
    if scalingo.check_mode:
        scalingo.exit(changed=True, diff=diff, scalingo_deployment=deployment_result(dict(git_ref=ref)))

    source_url = params["source_url"]
    if params["archive"] or params["source_dir"]:
        upload_url, source_url = create_source(client)
        handle = packed or open_archive(params["archive"])
        try:
            upload(client, upload_url, handle)
        finally:
            handle.close()
    deployment = create_deployment(client, app, source_url, ref)
    if not params["wait"]:
        scalingo.exit(changed=True, diff=diff, scalingo_deployment=deployment_result(deployment))
    finish(scalingo, app, deployment, True, diff)


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        source_url=dict(type="str"),
        archive=dict(type="path"),
        source_dir=dict(type="path"),
        exclude=dict(type="list", elements="str", default=[".git"]),
        git_ref=dict(type="str"),
        force=dict(type="bool", default=False),
        fail_on_error=dict(type="bool", default=True),
        output_lines=dict(type="int", default=100),
        wait_timeout=dict(type="int", default=1800),
    ), main_logic,
        mutually_exclusive=[("source_url", "archive", "source_dir")],
        required_one_of=[("source_url", "archive", "source_dir")])


if __name__ == "__main__":
    main()
