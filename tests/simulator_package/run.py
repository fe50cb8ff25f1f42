# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the simulator's pip package from a wheel, away from the checkout, then optionally run a command against it.

1. Build the wheel: ``PYTHON -m pip wheel --no-deps ./simulator -w WORK/dist`` from the repository root
   (pip may fetch setuptools from PyPI). Its modules must be exactly the ``simulator/*.py`` files.
   What setuptools leaves in simulator/ (build/, *.egg-info) is removed before and after.
2. Make a fresh virtual environment WORK/venv with PYTHON and install the wheel in it (no index).
3. From WORK (outside the checkout): ``scalingo-simulator --version`` must print galaxy.yml's version,
   and ``simulator`` must be imported from the virtual environment.
4. Start ``WORK/venv/bin/scalingo-simulator --port 0`` from WORK (60 s to print its URL), print
   ``SIMULATOR_URL=<url>``, check ``GET /_sim/health`` and the token exchange
   (``POST /v1/tokens/exchange``, basic auth with the default token: 200 and a bearer).
5. With ``--then CMD ...`` (everything after it is the command), run CMD from the current folder with
   SCALINGO_API_URL and SCALINGO_AUTH_URL set to the simulator and SCALINGO_API_TOKEN to its default
   token, and wait for it.
6. Stop the simulator by its PID (SIGTERM, SIGKILL after 10 s), on every path.

One line per step; exit status 0 when every check passed (and CMD exited 0), CMD's status when it
failed, 1 when a check failed, 2 on misuse. No token is ever printed. By hand, from the repository root:

    python tests/simulator_package/run.py --work /tmp/simpkg --python python3.11 [--then CMD ...]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import simulator_process  # noqa: E402 pylint: disable=wrong-import-position

SIMULATOR_DIR = os.path.join(ROOT, 'simulator')
TOKEN = 'tk-us-simulator-default-token'  # the simulator's default API token
START_TIMEOUT = 60
STOP_TIMEOUT = 10
STEP_TIMEOUT = 900  # building the wheel may download setuptools
LINE_RE = re.compile(r'listening on (http://127\.0\.0\.1:\d+)\s*$')
PREFIX = 'simulator package: '


class CheckFailed(Exception):
    """A step failed; the message says which and why."""


def say(text):
    print(PREFIX + text, flush=True)


def galaxy_version():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        match = re.search(r'''^version:\s*['"]?([^'"\s#]+)''', handle.read(), re.MULTILINE)
    if not match:
        raise CheckFailed('no version: line in galaxy.yml')
    return match.group(1)


def clean_env():
    """The environment of the children: nothing that would put the checkout on their sys.path."""
    env = dict(os.environ)
    for key in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'VIRTUAL_ENV', '__PYVENV_LAUNCHER__'):
        env.pop(key, None)
    env['PYTHONNOUSERSITE'] = '1'
    return env


def tail(path, lines=20):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return ''.join(handle.readlines()[-lines:]).rstrip()
    except OSError:
        return ''


def run_step(what, command, log_path, cwd, timeout=STEP_TIMEOUT):
    """Run ``command``, its output in ``log_path``; its stdout, or CheckFailed with the log's end."""
    start = time.monotonic()
    try:
        with open(log_path, 'w', encoding='utf-8') as log:
            result = subprocess.run(command, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    timeout=timeout, check=False)
            log.write(result.stdout)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed('%s: no end after %d s (log: %s)' % (what, timeout, log_path)) from exc
    except OSError as exc:
        raise CheckFailed('%s: cannot run %s: %s' % (what, command[0], exc)) from exc
    if result.returncode != 0:
        raise CheckFailed('%s: exit status %d (log: %s)\n%s' % (what, result.returncode, log_path, tail(log_path)))
    return result.stdout, time.monotonic() - start


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def remove_build_outputs():
    shutil.rmtree(os.path.join(SIMULATOR_DIR, 'build'), ignore_errors=True)
    for name in os.listdir(SIMULATOR_DIR):
        if name.endswith('.egg-info'):
            shutil.rmtree(os.path.join(SIMULATOR_DIR, name), ignore_errors=True)


def build_wheel(python, work, version):
    dist = os.path.join(work, 'dist')
    shutil.rmtree(dist, ignore_errors=True)
    # setuptools builds in simulator/build and simulator/*.egg-info (ignored by git): an earlier build's
    # leftovers would go into the wheel again, so they go before, and this build's after.
    remove_build_outputs()
    try:
        dummy, seconds = run_step('building the wheel', [python, '-m', 'pip', 'wheel', '--no-deps', './simulator',
                                                         '-w', dist], os.path.join(work, 'logs', 'wheel.log'), ROOT)
    finally:
        remove_build_outputs()
    wheels = [name for name in os.listdir(dist) if name.endswith('.whl')]
    expected = 'scalingo_simulator-%s-py3-none-any.whl' % version
    if wheels != [expected]:
        raise CheckFailed('building the wheel: expected %s in %s, found %s' % (expected, dist, wheels or 'nothing'))
    wheel = os.path.join(dist, expected)
    with zipfile.ZipFile(wheel) as archive:
        modules = sorted(name for name in archive.namelist() if name.startswith('simulator/'))
    sources = sorted('simulator/' + name for name in os.listdir(SIMULATOR_DIR) if name.endswith('.py'))
    if modules != sources:
        raise CheckFailed('the wheel holds %s, simulator/ has %s' % (
            ', '.join(sorted(set(modules) - set(sources))) or 'fewer modules',
            ', '.join(sorted(set(sources) - set(modules))) or 'fewer modules'))
    say('wheel built: %s, %d modules (%.1f s)' % (wheel, len(modules), seconds))
    return wheel


def make_venv(python, work, wheel):
    venv = os.path.join(work, 'venv')
    shutil.rmtree(venv, ignore_errors=True)
    logs = os.path.join(work, 'logs')
    dummy, first = run_step('creating the virtual environment', [python, '-m', 'venv', venv],
                            os.path.join(logs, 'venv.log'), work)
    dummy, second = run_step('installing the wheel', [os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install',
                                                      '--no-index', '--no-deps', wheel],
                             os.path.join(logs, 'install.log'), work)
    say('installed in a fresh virtual environment: %s (%.1f s)' % (venv, first + second))
    return venv


def check_installed(work, venv, version):
    command = os.path.join(venv, 'bin', 'scalingo-simulator')
    out, dummy = run_step('scalingo-simulator --version', [command, '--version'],
                          os.path.join(work, 'logs', 'version.log'), work, timeout=60)
    if out.strip() != version:
        raise CheckFailed('scalingo-simulator --version printed %r, galaxy.yml says %s' % (out.strip(), version))
    say('scalingo-simulator --version: %s, as galaxy.yml' % version)
    out, dummy = run_step('importing simulator', [os.path.join(venv, 'bin', 'python'), '-c',
                                                  'import simulator; print(simulator.__file__)'],
                          os.path.join(work, 'logs', 'import.log'), work, timeout=60)
    where = out.strip()
    if not inside(where, venv) or inside(where, SIMULATOR_DIR):
        raise CheckFailed('simulator is imported from %s, not from the virtual environment %s' % (where, venv))
    say('simulator imported from the virtual environment: %s' % where)


class Simulator:
    """``scalingo-simulator --port 0`` of the virtual environment, started from WORK; output in WORK/logs."""

    def __init__(self, work, venv):
        self.log_path = os.path.join(work, 'logs', 'simulator.log')
        self.log = open(self.log_path, 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [os.path.join(venv, 'bin', 'scalingo-simulator'), '--port', '0'], cwd=work, env=clean_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.pid = self.proc.pid
        self.lines = queue.Queue()
        self.relaying = threading.Thread(target=self.relay, daemon=True)
        self.relaying.start()

    def relay(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)

    def url(self):
        """Its URL, read from its first lines within START_TIMEOUT s, or CheckFailed."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise CheckFailed('scalingo-simulator printed no URL within %d s (log: %s)' % (
                    START_TIMEOUT, self.log_path)) from exc
            if line is None:
                self.proc.wait()
                raise CheckFailed('scalingo-simulator exited with status %s before printing its URL (log: %s)\n%s' % (
                    self.proc.returncode, self.log_path, tail(self.log_path)))
            match = LINE_RE.search(line)
            if match:
                return match.group(1)

    def stop(self):
        """Stop it by its PID: SIGTERM, then SIGKILL after STOP_TIMEOUT s. Its exit status."""
        try:
            if self.proc.poll() is None:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait()
                    say('the simulator (pid %d) ignored SIGTERM for %d s and was killed' % (self.pid, STOP_TIMEOUT))
            return self.proc.returncode
        finally:
            self.relaying.join(5)
            self.proc.stdout.close()
            self.log.close()


def request(method, url, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:  # nosec - loopback only
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, ValueError) as exc:
        raise CheckFailed('%s %s: %s' % (method, url, exc)) from exc


def smoke_test(url, version):
    status, body = request('GET', url + '/_sim/health')
    try:
        health = json.loads(body.decode('utf-8'))
    except ValueError:
        health = {}
    if status != 200 or health.get('status') != 'ok' or health.get('version') != version:
        raise CheckFailed('GET /_sim/health answered %d, status %r, version %r (expected ok, %s)' % (
            status, health.get('status'), health.get('version'), version))
    basic = base64.b64encode((':' + TOKEN).encode('ascii')).decode('ascii')
    status, body = request('POST', url + '/v1/tokens/exchange', {'Authorization': 'Basic ' + basic,
                                                                 'Content-Type': 'application/json'}, b'{}')
    try:
        bearer = json.loads(body.decode('utf-8')).get('token')
    except (ValueError, AttributeError):
        bearer = None
    if status != 200 or not isinstance(bearer, str) or bearer.count('.') != 2:
        raise CheckFailed('POST /v1/tokens/exchange with the default token answered %d without a bearer' % status)
    say('GET /_sim/health: ok, version %s; POST /v1/tokens/exchange: 200 with a bearer' % version)


def run_then(command, url):
    env = dict(os.environ, SCALINGO_API_URL=url, SCALINGO_AUTH_URL=url, SCALINGO_API_TOKEN=TOKEN)
    say('running: %s' % shlex.join(command))
    start = time.monotonic()
    try:
        proc = subprocess.Popen(command, env=env)  # pylint: disable=consider-using-with
    except OSError as exc:
        raise CheckFailed('cannot run %s: %s' % (command[0], exc)) from exc
    try:
        code = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: stop the command too
            simulator_process.stop(proc, STOP_TIMEOUT)
    say('the command exited with status %d (%.1f s)' % (code, time.monotonic() - start))
    return 128 - code if code < 0 else code  # killed by a signal: 128 + its number, as a shell says


def interrupted(signum, dummy_frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    command = None
    if '--then' in argv:  # everything after it is the command, options included (argparse would take some)
        index = argv.index('--then')
        argv, command = argv[:index], argv[index + 1:]
        if command[:1] == ['--']:
            command = command[1:]
    parser = argparse.ArgumentParser(
        description='Build the simulator wheel, install it in a fresh virtual environment, start '
                    'scalingo-simulator from it and check it; optionally run a command against it.',
        usage='%(prog)s --work WORK [--python PYTHON] [--then [--] CMD ...]')
    parser.add_argument('--work', required=True, help='work folder (its dist, venv and logs are replaced)')
    parser.add_argument('--python', default=sys.executable,
                        help='the Python that builds the wheel and makes the virtual environment (default: this one)')
    parser.add_argument('--then', nargs=argparse.REMAINDER, metavar='CMD',
                        help='a command to run against the simulator (everything after --then, or after '
                             '--then --); its exit status becomes the script\'s')
    args = parser.parse_args(argv)
    if command is not None and not command:
        parser.error('--then needs a command')
    work = os.path.abspath(args.work)
    if inside(ROOT, work) or inside(work, SIMULATOR_DIR):
        parser.error('--work must not hold the checkout nor be inside simulator/: %s' % work)
    python = shutil.which(args.python) or args.python
    signal.signal(signal.SIGTERM, interrupted)
    start = time.monotonic()
    sim = None
    status = 1
    try:
        os.makedirs(os.path.join(work, 'logs'), exist_ok=True)
        version = galaxy_version()
        say('collection version %s, Python %s, work folder %s' % (version, python, work))
        wheel = build_wheel(python, work, version)
        venv = make_venv(python, work, wheel)
        check_installed(work, venv, version)
        sim = Simulator(work, venv)
        url = sim.url()
        print('SIMULATOR_URL=%s' % url, flush=True)
        say('scalingo-simulator listening on %s (pid %d)' % (url, sim.pid))
        smoke_test(url, version)
        status = run_then(command, url) if command else 0
    except CheckFailed as exc:
        say('FAILED: %s' % exc)
    except OSError as exc:
        say('FAILED: %s' % exc)
    except KeyboardInterrupt as exc:
        say('FAILED: interrupted (%s)' % (exc or 'SIGINT'))
    finally:
        if sim is not None:
            code = sim.stop()
            say('simulator stopped (pid %d, exit status %s)' % (sim.pid, code))
            if code != 0 and status == 0:
                say('FAILED: the simulator exited with status %s' % code)
                status = 1
    say('%s in %.1f s' % ('passed' if status == 0 else 'FAILED (exit status %d)' % status,
                          time.monotonic() - start))
    return status


if __name__ == '__main__':
    sys.exit(main())
