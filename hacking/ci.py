# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the nox sessions of scalingo.cloud from a fresh machine: ``make test``, ``make demo``, ``make nox``.

What nox does not do, and only that: install nox and antsibull-nox (pinned in hacking/requirements/nox.txt)
in a virtual environment outside the checkout, run the default sessions (or the ones asked for) in two
nox processes at once (nox runs one session at a time; a session spends most of its time on one core),
and close with one summary and the line ``N passed, M failed``. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOX_REQUIREMENTS = os.path.join(ROOT, 'hacking', 'requirements', 'nox.txt')
# Estimated seconds of the longest sessions on a fresh machine, to balance the lanes (others count 60 s).
WEIGHTS = {'integration-': 1200, 'secret-scan': 1200, 'sanity-': 250, 'build-import-check': 150,
           'molecule': 120, 'benchmark-smoke': 120, 'simulator-tests': 90, 'docs-build': 90, 'awx-runner': 90,
           'simulator-package': 90, 'units-': 150, 'compile-import-': 120}
SESSION_RE = re.compile(r'^nox > Running session (\S+)')
PYTHON_RE = re.compile(r'^Running sanity test "(?:compile|import)" on Python (\S+)')


def log(message=''):
    sys.stdout.write(message + '\n')
    sys.stdout.flush()


def dev_home():
    return os.environ.get('SCALINGO_DEV_HOME') or os.path.join(
        os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache'), 'scalingo-cloud-dev')


def nox_bin():
    """nox from a virtual environment of the pinned nox.txt (made once per content of that file)."""
    with open(NOX_REQUIREMENTS, 'rb') as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:12]
    venv = os.path.join(dev_home(), 'venvs', 'nox-py%d.%d-%s' % (sys.version_info[:2] + (digest,)))
    nox = os.path.join(venv, 'bin', 'nox')
    if not os.path.exists(os.path.join(venv, '.complete')):
        log('Installing nox and antsibull-nox (%s) in %s' % (os.path.relpath(NOX_REQUIREMENTS, ROOT), venv))
        shutil.rmtree(venv, ignore_errors=True)
        for command in ([sys.executable, '-m', 'venv', venv],
                        [os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '--quiet', '-r', NOX_REQUIREMENTS]):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                log(done.stdout + done.stderr)
                raise SystemExit('%s exited %d' % (' '.join(command[:4]), done.returncode))
        open(os.path.join(venv, '.complete'), 'w', encoding='utf-8').close()  # pylint: disable=consider-using-with
    return nox


def default_sessions(nox):
    listing = subprocess.run([nox, '-l', '--json'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [item['session'] for item in json.loads(listing) if item.get('selected', True)]


def weight(session):
    return next((seconds for prefix, seconds in WEIGHTS.items() if session.startswith(prefix)), 60)


def lanes_for(sessions, count):
    """Longest first, each to the lane with the least work (the order in a lane is the order of assignment)."""
    lanes = [[] for dummy in range(count)]
    for session in sorted(sessions, key=lambda name: -weight(name)):
        min(lanes, key=lambda lane: sum(weight(name) for name in lane)).append(session)
    return [lane for lane in lanes if lane]


class Lane(threading.Thread):
    """One nox process: its output goes to a log file; the console gets nox's own lines, prefixed."""

    def __init__(self, number, nox, sessions, folder, env):
        super().__init__()
        self.number, self.sessions = number, sessions
        self.report = os.path.join(folder, 'lane-%d.json' % number)
        self.log_path = os.path.join(folder, 'lane-%d.log' % number)
        self.command = [nox, '--report', self.report, '-s'] + sessions
        self.env = env
        self.outputs, self.started, self.returncode, self.finished = {}, {}, None, None

    def run(self):
        current = None
        with open(self.log_path, 'w', encoding='utf-8') as handle:
            proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                    stderr=subprocess.STDOUT, text=True, errors='replace')
            for line in proc.stdout:
                handle.write(line)
                match = SESSION_RE.match(line)
                if match:
                    current = match.group(1)
                    self.started[current] = time.monotonic()
                if current:
                    self.outputs.setdefault(current, []).append(line.rstrip('\n'))
                if line.startswith('nox >'):
                    log('[%d] %s' % (self.number, line.rstrip('\n')))
            self.returncode = proc.wait()
        self.finished = time.monotonic()

    def results(self):
        try:
            with open(self.report, encoding='utf-8') as handle:
                return json.load(handle).get('sessions', [])
        except (OSError, ValueError):
            return [{'name': name, 'result': 'failed', 'reason': 'nox exited %s without a report' % self.returncode}
                    for name in self.sessions]


def test(sessions, lanes, keep):
    nox = nox_bin()
    sessions = sessions or default_sessions(nox)
    folder = os.path.join(dev_home(), 'runs', time.strftime('%Y%m%d-%H%M%S') + '-%d' % os.getpid())
    os.makedirs(folder)
    env = dict(os.environ)
    if lanes > 1:
        env.setdefault('SECRET_SCAN_JOBS', '1')  # the lanes already use the cores
    plan = lanes_for(sessions, lanes)
    log('scalingo.cloud tests: %d nox sessions in %d lane(s); logs in %s' % (len(sessions), len(plan), folder))
    for number, lane in enumerate(plan, 1):
        log('[%d] nox -s %s' % (number, ' '.join(lane)))
    start = time.monotonic()
    workers = [Lane(number, nox, lane, folder, env) for number, lane in enumerate(plan, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return summary(workers, time.monotonic() - start, folder, keep)


def summary(workers, total, folder, keep):
    rows = []
    for worker in workers:
        starts = sorted(worker.started.items(), key=lambda item: item[1])
        ends = {name: (starts[index + 1][1] if index + 1 < len(starts) else None) for index, (name, _t) in enumerate(starts)}
        for result in worker.results():
            name = result['name']
            seconds = (ends.get(name) or worker.finished) - worker.started[name] if name in worker.started else 0
            pythons = sorted({m.group(1) for line in worker.outputs.get(name, []) for m in [PYTHON_RE.match(line)]
                              if m and name.startswith('compile-import-')}, key=lambda v: [int(p) for p in v.split('.')])
            reason = result.get('reason') or ('compile and import on Python ' + ', '.join(pythons) if pythons else '')
            rows.append((name, result.get('result', 'failed'), seconds, worker, reason))
    for name, status, _s, worker, _r in rows:
        if status not in ('success', 'skipped'):
            log('')
            log('=' * 100)
            log('%s %s: its last lines (the whole output is in %s)' % (name, status.upper(), worker.log_path))
            log('\n'.join(worker.outputs.get(name, [])[-60:]))
    log('')
    log('=' * 100)
    width = max([len(row[0]) for row in rows] + [7])
    log('%-*s  %-8s  %7s  %s' % (width, 'session', 'result', 'seconds', 'details'))
    for name, status, seconds, worker, reason in rows:
        log('%-*s  %-8s  %7.0f  lane %d%s' % (width, name, status, seconds, worker.number, ('; ' + reason) if reason else ''))
    passed = sum(1 for row in rows if row[1] == 'success')
    failed = sum(1 for row in rows if row[1] not in ('success', 'skipped'))
    skipped = len(rows) - passed - failed
    log('Total: %.0f s; %d session(s) skipped' % (total, skipped))
    if failed or keep:
        log('Logs: %s' % folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    result = '%d passed, %d failed' % (passed, failed)
    try:
        with open(os.path.join(dev_home(), 'last-result'), 'w', encoding='utf-8') as handle:
            handle.write(result + '\n')
    except OSError:
        pass
    log(result)
    return 1 if failed or not rows else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    test_parser = sub.add_parser('test', help='run the default nox sessions, or SESSIONS, in lanes (make test)')
    test_parser.add_argument('--sessions', default=os.environ.get('SESSIONS', ''),
                             help='sessions to run, comma or space separated (default: the default list of nox -l)')
    test_parser.add_argument('--lanes', type=int, default=int(os.environ.get('LANES') or min(2, os.cpu_count() or 1)),
                             help='nox processes at once (default: 2, or 1 on a one-core machine)')
    test_parser.add_argument('--keep', action='store_true', default=os.environ.get('KEEP_WORK', '') not in ('', '0'),
                             help='keep the logs of a successful run')
    nox_parser = sub.add_parser('nox', help='run nox with these arguments (make nox ARGS=...; make demo)')
    nox_parser.add_argument('args', nargs=argparse.REMAINDER)
    sub.add_parser('clean', help='remove $SCALINGO_DEV_HOME and .nox')
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ['nox']:  # everything after it goes to nox as it is, options included
        return subprocess.run([nox_bin()] + argv[1:], cwd=ROOT, check=False).returncode
    args = parser.parse_args(argv)
    if args.command == 'test':
        return test([name for name in re.split(r'[\s,]+', args.sessions.strip()) if name], max(1, args.lanes), args.keep)
    for path in (dev_home(), os.path.join(ROOT, '.nox')):
        shutil.rmtree(path, ignore_errors=True)
        log('Removed %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
