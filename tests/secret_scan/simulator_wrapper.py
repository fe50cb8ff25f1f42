# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ``python -m simulator`` during the secret scan (copied to <work>/simroot/simulator/__main__.py).

It starts the real simulator with the same arguments plus ``--token <scan token>`` (so that, unless the
target lists tokens of its own, only the scan's token is accepted), relays its output, and
when it is told to stop (SIGTERM or SIGINT) it saves every bearer the simulator issued
(``GET /_sim/bearers``) and every addon credential it generated (``GET /_sim/addons/secrets``) to the scan's
private folder before stopping it. Its configuration is ``<work>/private/wrapper.json``:
``{"root", "token", "bearers_file", "addon_secrets_file"}``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request

LISTENING_RE = re.compile(r'listening on (http://127\.0\.0\.1:\d+)')


def load_config():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, '..', '..', 'private', 'wrapper.json'), encoding='utf-8') as handle:
        return json.load(handle)


def save_bearers(url, path):
    """Append the simulator's bearers to ``path`` (JSON lines, mode 0600)."""
    with urllib.request.urlopen(url + '/_sim/bearers', timeout=10) as answer:  # nosec - loopback
        bearers = json.load(answer).get('bearers') or []
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, 'a', encoding='utf-8') as handle:
        for item in bearers:
            handle.write(json.dumps({'bearer': item.get('token'), 'user': item.get('user')}) + '\n')
    return len(bearers)


def save_addon_secrets(url, path):
    """Append the credentials (passwords in addon URLs, addon tokens) the simulator generated to ``path``."""
    with urllib.request.urlopen(url + '/_sim/addons/secrets', timeout=10) as answer:  # nosec - loopback
        values = json.load(answer).get('secrets') or []
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, 'a', encoding='utf-8') as handle:
        for value in values:
            handle.write(json.dumps({'secret': value}) + '\n')
    return len(values)


def main():
    config = load_config()
    args = sys.argv[1:]
    # Only the scan's token is accepted unless the target lists tokens of its own: a target that would
    # still use the default token fails, instead of leaving the scan's token unused.
    extra = ['--token', config['token']]
    child = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, '-m', 'simulator'] + args + extra, cwd=config['root'],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    found = {}

    def relay():
        for raw in child.stdout:
            line = raw.decode('utf-8', 'replace')
            match = LISTENING_RE.search(line)
            if match:
                found.setdefault('url', match.group(1))
            sys.stdout.write(line)
            sys.stdout.flush()

    relaying = threading.Thread(target=relay, daemon=True)
    relaying.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while child.poll() is None and not stop.wait(0.2):
        pass
    if child.poll() is None:
        if 'url' in found:
            try:
                count = save_bearers(found['url'], config['bearers_file'])
                sys.stdout.write('secret scan: %d bearer(s) saved\n' % count)
            except (OSError, ValueError) as exc:
                sys.stdout.write('secret scan: could not save the bearers: %s\n' % exc)
            if config.get('addon_secrets_file'):
                try:
                    count = save_addon_secrets(found['url'], config['addon_secrets_file'])
                    sys.stdout.write('secret scan: %d addon credential(s) saved\n' % count)
                except (OSError, ValueError) as exc:
                    sys.stdout.write('secret scan: could not save the addon credentials: %s\n' % exc)
        child.terminate()
    code = child.wait()
    relaying.join(5)
    sys.stdout.flush()
    return code


if __name__ == '__main__':
    sys.exit(main())
