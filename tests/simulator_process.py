# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the bundled simulator on a free port of 127.0.0.1 and stop it by its pid (standard library only).

Used by the nox session ``demo`` (noxfile.py) and the AWX run path test (tests/awx_runner/run.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import time

LISTENING_RE = re.compile(r'listening on (http://127\.0\.0\.1:\d+)')


def start(command, log_path, cwd, env=None, timeout=60):
    """Run ``command`` (a simulator started with ``--port 0``), its output to ``log_path``; return (process, url).
    Raise RuntimeError, the process stopped, when it prints no URL within ``timeout`` seconds."""
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=dict(env if env is not None else os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1'))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log_path, encoding='utf-8', errors='replace') as handle:
            match = LISTENING_RE.search(handle.read())
        if match:
            return proc, match.group(1)
        time.sleep(0.1)
    stop(proc)
    raise RuntimeError('the simulator did not start (see %s)' % log_path)


def stop(proc, grace=10):
    """Stop a process started here: SIGTERM, then SIGKILL after ``grace`` seconds; return its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
