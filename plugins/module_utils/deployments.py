# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Deployments and sources of an app: archives, uploads, deployments and their build output.

Knows the client, never AnsibleModule: failures are ScalingoError subclasses that the module glue turns into
structured failures.

Archives
    The platform deploys a gzipped tar archive holding exactly one folder at its root. ``pack_directory``
    packs a local folder into such an archive, reproducibly: the same content always gives the same bytes
    (entries sorted by path, fixed modification time, owner and group 0 with no names, modes reduced to
    0755/0644, gzip header without time or file name). ``inspect_archive`` checks a local archive against the
    platform's rules. Both give the content hash of the uncompressed tar stream, which becomes the
    deployment's ``git_ref`` when none is given (``sha256-`` and 40 hexadecimal digits): the same content
    gives the same ref, so that a re-run does not deploy unchanged code again.

Uploads
    ``POST /sources`` gives a pre-authenticated ``upload_url`` (a ``PUT`` of the archive) and a
    ``download_url`` (the ``source_url`` of the deployment), valid for minutes. The upload carries no
    Authorization header: the URL holds its own credential, which never appears in a message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import gzip
import hashlib
import io
import os
import re
import stat
import tarfile
import tempfile
import time

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    ScalingoAPIError,
    ScalingoConnectionError,
    ScalingoError,
    ScalingoTimeoutError,
)

try:
    import requests
except ImportError:  # pragma: no cover - the glue reports the missing library
    requests = None

IN_PROGRESS = ("queued", "building", "pushing", "starting")
SUCCESS = "success"
FAILED = ("build-error", "crashed-error", "timeout-error", "hook-error", "aborted")
# Packed archives: one top-level folder, fixed time (1980-01-01: tools that zip files refuse earlier dates)
TOP_FOLDER = "source"
FIXED_MTIME = 315532800
HASH_PREFIX = "sha256-"
HASH_LENGTH = 40
MESSAGE_LINES = 20          # lines of build output quoted in a failure message
UPLOAD_RETRIES = 2
CHUNK = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class ArchiveError(ValueError):
    """A local archive or folder that cannot be deployed (the message names the rule)."""


# ------------------------------------------------------------------------------------------- input rules

def git_ref_error(value, option="git_ref"):
    """Message when ``value`` cannot label a deployment: empty, starting with '-', or with spaces or control
    characters (the platform uses it in the tag of the image it builds)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        return "%s: must not be empty" % option
    if value.startswith("-"):
        return "%s: %r must not start with '-'" % (option, value)
    if _CONTROL.search(value):
        return "%s: %r must not contain spaces or control characters" % (option, value)
    return None


def source_url_error(value, option="source_url"):
    """Message when ``value`` is not an absolute http(s) URL with a host (the URL is not quoted: a
    pre-signed URL carries a credential)."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return "%s: not an absolute http(s) URL with a host, like https://example.com/app.tar.gz" % option
    return None


def output_lines_error(value, option="output_lines"):
    if value is not None and value < 0:
        return "%s: must be 0 (the whole output) or more lines" % option
    return None


# ---------------------------------------------------------------------------------------------- archives

class _HashingWriter(object):
    """A file object that hashes what goes through it on its way to ``target``."""

    def __init__(self, target):
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data):
        self.digest.update(data)
        return self.target.write(data)

    def flush(self):
        self.target.flush()


def content_ref(digest):
    return HASH_PREFIX + digest.hexdigest()[:HASH_LENGTH]


def _excluded(name, relative, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def _walk(root, exclude):
    """Relative paths under ``root`` (sorted, folders before their content), without excluded ones."""
    entries = []

    def visit(folder, relative):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            rel = name if not relative else relative + "/" + name
            if _excluded(name, rel, exclude):
                continue
            entries.append((rel, path))
            if os.path.isdir(path) and not os.path.islink(path):
                visit(path, rel)

    visit(root, "")
    return entries


def _tar_info(name, mode, kind, size=0, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.linkname = linkname
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack_directory(source_dir, target, exclude=(".git",)):
    """Pack the content of ``source_dir`` under one top-level folder (TOP_FOLDER) into the open binary file
    ``target`` as a gzipped tar, reproducibly. Returns ``(ref, skipped)``: the content hash ref and the
    relative paths that were left out because they are neither files, folders nor symbolic links."""
    if not os.path.isdir(source_dir):
        raise ArchiveError("source_dir: %s is not a folder" % source_dir)
    skipped = []
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=target, mtime=0)
    hashing = _HashingWriter(gz)
    tar = tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT)
    try:
        tar.addfile(_tar_info(TOP_FOLDER, 0o755, tarfile.DIRTYPE))
        for relative, path in _walk(source_dir, list(exclude or ())):
            name = TOP_FOLDER + "/" + relative
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                tar.addfile(_tar_info(name, 0o777, tarfile.SYMTYPE, linkname=os.readlink(path)))
            elif stat.S_ISDIR(info.st_mode):
                tar.addfile(_tar_info(name, 0o755, tarfile.DIRTYPE))
            elif stat.S_ISREG(info.st_mode):
                mode = 0o755 if info.st_mode & 0o111 else 0o644
                with open(path, "rb") as handle:
                    tar.addfile(_tar_info(name, mode, tarfile.REGTYPE, size=info.st_size), handle)
            else:
                skipped.append(relative)
    except (IOError, OSError) as error:
        where = getattr(error, "filename", None) or source_dir
        raise ArchiveError("source_dir: cannot read %s: %s" % (where, getattr(error, "strerror", None) or error))
    finally:
        tar.close()
        gz.close()
    return content_ref(hashing.digest), skipped


def _normalized(name):
    """A member name without leading '/' and './' (and without a trailing '/')."""
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:].lstrip("/")
    return "" if name == "." else name.rstrip("/")


def inspect_archive(path, option="archive"):
    """Check that ``path`` is a gzipped tar archive holding exactly one folder at its root, as the platform
    requires; returns the content hash ref (sha256 of the uncompressed tar stream). ArchiveError otherwise."""
    if not os.path.isfile(path):
        raise ArchiveError("%s: %s is not a file" % (option, path))
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                raise ArchiveError("%s: %s is not a gzipped tar archive (it does not start with the gzip "
                                   "signature); the platform deploys .tar.gz archives" % (option, path))
        with gzip.open(path, "rb") as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
        tops, folders = set(), set()
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                name = _normalized(member.name)
                if not name:
                    continue
                top = name.split("/", 1)[0]
                tops.add(top)
                if member.isdir() or "/" in name:
                    folders.add(top)
    except ArchiveError:
        raise
    except (IOError, OSError, EOFError, tarfile.TarError, ValueError) as error:
        raise ArchiveError("%s: %s is not a readable gzipped tar archive (%s); the platform deploys .tar.gz "
                           "archives" % (option, path, error))
    if len(tops) != 1 or not folders:
        found = ", ".join(sorted(tops)[:5]) + (", ..." if len(tops) > 5 else "") if tops else "nothing"
        raise ArchiveError("%s: %s must hold exactly one folder at its root, with the sources inside (the "
                           "platform's rule); found %s" % (option, path, found))
    return content_ref(digest)


# -------------------------------------------------------------------------------------------- deployments

def deployments_path(app):
    return app_path(app) + "/deployments"


def recent_deployments(client, app):
    """The most recent deployments of ``app`` (the first page of ``GET /apps/{app}/deployments``),
    newest first."""
    body = client.get(deployments_path(app)).json or {}
    items = [d for d in body.get("deployments") or [] if isinstance(d, dict)]
    return sorted(items, key=lambda d: d.get("created_at") or "", reverse=True)


def latest_success(deployments):
    return next((d for d in deployments if d.get("status") == SUCCESS), None)


def in_progress(deployments, git_ref):
    """The deployment of ``git_ref`` that is still going on, if any."""
    return next((d for d in deployments if d.get("status") in IN_PROGRESS and d.get("git_ref") == git_ref), None)


def is_finished(status):
    """A status that is not one of IN_PROGRESS ends the deployment (as the official clients read it)."""
    return status not in IN_PROGRESS


def create_source(client):
    """``POST /sources``: ``(upload_url, download_url)``."""
    body = client.post("/sources").json or {}
    source = body.get("source") if isinstance(body.get("source"), dict) else body
    upload, download = source.get("upload_url"), source.get("download_url")
    if not upload or not download:
        raise ScalingoError("POST /sources answered without an upload_url and a download_url")
    return upload, download


class _NoAuth(object):
    """requests auth hook that sends no Authorization header (and keeps ~/.netrc out of the request)."""

    def __call__(self, request):
        request.headers.pop("Authorization", None)
        return request


def upload(client, url, handle):
    """PUT the archive open in ``handle`` to the pre-authenticated ``url``, without the bearer.

    Retried (at most UPLOAD_RETRIES times) on a network failure or a 5xx answer: uploading the same bytes to
    the same URL again is harmless. Messages give the URL's path only, never its query (its credential)."""
    label = "PUT %s" % (urlsplit(url).path or "/")
    retries = 0
    while True:
        handle.seek(0)
        client.request_count += 1
        try:
            response = client.session.request(
                "PUT", url, data=handle, headers={"Content-Type": "application/x-gzip", "Accept": None},
                auth=_NoAuth(), timeout=client.timeout, verify=client.validate_certs, allow_redirects=True)
        except requests.exceptions.RequestException as error:
            if retries < UPLOAD_RETRIES:
                retries += 1
                client.sleep(retries)
                continue
            raise ScalingoConnectionError("the upload of the archive (%s) failed: %s" % (label, type(error).__name__),
                                          "PUT", urlsplit(url).path)
        if response.status_code >= 500 and retries < UPLOAD_RETRIES:
            retries += 1
            client.sleep(retries)
            continue
        if response.status_code >= 300:
            text = " ".join((response.text or "").split())[:200]
            raise ScalingoAPIError(response.status_code, "the upload of the archive was refused%s" % (
                ": " + text if text else ""), method="PUT", path=urlsplit(url).path, service="Scalingo sources")
        return


def create_deployment(client, app, source_url, git_ref=None):
    """``POST /apps/{app}/deployments``: the deployment as the API returns it."""
    payload = dict(source_url=source_url)
    if git_ref is not None:
        payload["git_ref"] = git_ref
    body = client.post(deployments_path(app), json=dict(deployment=payload)).json or {}
    return body.get("deployment") if isinstance(body.get("deployment"), dict) else body


def get_deployment(client, app, deployment_id):
    body = client.get("%s/%s" % (deployments_path(app), deployment_id)).json or {}
    return body.get("deployment") if isinstance(body.get("deployment"), dict) else body


def deployment_output(client, app, deployment_id):
    """The build output (text) of a deployment; '' when the platform has none (404)."""
    try:
        return client.get("%s/%s/output" % (deployments_path(app), deployment_id),
                          headers={"Accept": "text/plain"}, expect_json=False).text or ""
    except ScalingoAPIError as error:
        if error.status == 404 and error.resource != "app":
            return ""
        raise


def wait_for_deployment(client, app, deployment, timeout, interval):
    """Poll the deployment until its status is no longer one of IN_PROGRESS; returns it.

    The first poll comes one interval after the call (the deployment was just created), then one every
    ``interval``, never sleeping past the deadline (``timeout`` seconds, monotonic clock): a deployment of ``d``
    seconds costs at most ``d / interval + 1`` polls. ScalingoTimeoutError (``operation`` holds the last state)
    when the deadline passes first."""
    deadline = time.monotonic() + timeout
    if timeout > 0:
        client.sleep(min(interval, timeout))
    while True:
        deployment = get_deployment(client, app, deployment["id"]) or deployment
        if is_finished(deployment.get("status")):
            return deployment
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ScalingoTimeoutError(
                "deployment %s of app %s still %s after %g s; it goes on on the platform: raise wait_timeout, or run "
                "the task again later (it does not deploy the same git_ref twice)"
                % (deployment.get("id"), app, deployment.get("status"), timeout), deployment)
        client.sleep(min(interval, remaining))


def tail(text, count):
    """The last ``count`` lines of ``text`` (all of them when ``count`` is 0)."""
    lines = (text or "").splitlines()
    return lines if not count else lines[-count:]


RESULT_KEYS = ("id", "status", "git_ref", "created_at", "finished_at", "duration")


def deployment_result(deployment, output_lines=None):
    """The ``scalingo_deployment`` result: RESULT_KEYS (None where unknown) and ``output_lines``."""
    deployment = deployment or {}
    result = dict((key, deployment.get(key)) for key in RESULT_KEYS)
    result["output_lines"] = list(output_lines or [])
    return result


def spooled_archive():
    """A temporary binary file for a packed archive (removed when closed)."""
    return tempfile.TemporaryFile(prefix="scalingo-source-")


def open_archive(path):
    return io.open(path, "rb")
