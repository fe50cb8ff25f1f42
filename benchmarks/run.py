# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Performance benchmark of the scalingo.cloud collection against the bundled simulator.

Starts the simulator on a free port of 127.0.0.1 with a request log of its own, runs the
playbooks of benchmarks/playbooks/ with ansible-playbook (the collection is made importable
through a collections path that links to this checkout, as `make demo` does), measures from the
request log and from the timing callback benchmarks/callback_plugins/benchmark_timer.py, prints a
table, writes it as JSON (benchmarks/results/latest.json unless --output says otherwise), and
stops the simulator by its PID.

    python3 benchmarks/run.py            # full run (about 13 minutes: the rate-limited fleet alone
                                         # takes 5 minutes by construction)
    python3 benchmarks/run.py --quick    # small run for CI (about a minute); --smoke is the same
    python3 benchmarks/run.py --only inventory   # requests per refresh of the inventory plugin
    make bench                           # the same as the first line; BENCH_ARGS='--quick'

Run with an interpreter that has ansible-core (and requests); `make bench` (nox -s bench) runs it in
a virtual environment of the demo's pinned requirements. See the section "Benchmarks" of README.md for what each line
of the table means. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, 'benchmarks')
PLAYBOOKS = os.path.join(BENCH_DIR, 'playbooks')
CALLBACKS = os.path.join(BENCH_DIR, 'callback_plugins')
DEFAULT_OUTPUT = os.path.join(BENCH_DIR, 'results', 'latest.json')
TOKEN = 'tk-us-simulator-default-token'   # the simulator's documented default token
LISTENING_RE = re.compile(r'listening on (http://127\.0\.0\.1:\d+)')
OPERATION_RE = re.compile(r'^/v1/apps/[^/]+/operations/([^/?]+)$')
AUTH_PATHS = ('/v1/tokens/exchange', '/v1/regions', '/v1/users/self')
EXCHANGE_PATH = '/v1/tokens/exchange'

# Sizes of each mode: (name, full, quick)
SIZES = {
    'bearer_hosts': (10, 5),
    'bearer_tasks': (20, 5),
    'wait_cases': ([(3, 2), (3, 1), (5, 2), (2, 3), (10, 3)], [(2, 1)]),
    'deployment_cases': ([(3, 1), (5, 2), (10, 3)], [(1, 0.5)]),
    'overhead_reps': (15, 3),
    'fleet_size': (50, 5),
    'fleet_forks': ((1, 10), (1, 5)),
    'rate_limited_fleet': (50, 0),   # 0: not run
    'rate_limit': (60, 60),
    'inventory_apps_per_region': (20, 2),
}
MEASUREMENTS = ('requests', 'bearer', 'waiting', 'deployment', 'overhead', 'fleet', 'fleet-rate-limited', 'inventory')
DEPLOYMENT_RE = re.compile(r'^/v1/apps/[^/]+/deployments/([^/?]+)$')
EXAMPLE_APP = os.path.join(ROOT, 'examples', 'app')
INVENTORY_REGIONS = ('osc-fr1', 'osc-secnum-fr1', 'simulator')   # the simulator's regions (simulator/regions.py)
OVERHEAD_TARGET = 1.10
FLEET_TARGET = 1.10

# Requests of each measured task of playbooks/requests.yml: (reads, writes, changed). Polls of
# operations are counted apart; a change waits for its operation when it starts one.
EXPECTED_REQUESTS = (
    ('scalingo_app create', 1, 1, True),
    ('scalingo_app no-op', 1, 0, False),
    ('scalingo_app update', 1, 1, True),
    ('scalingo_app no-op with settings', 1, 0, False),
    ('scalingo_app_info one app', 1, 0, False),
    ('scalingo_scale no-op', 1, 0, False),
    ('scalingo_scale change', 2, 1, True),
    ('scalingo_scale no-op after the change', 1, 0, False),
    ('scalingo_restart', 1, 1, True),
    ('scalingo_env change', 1, 1, True),
    ('scalingo_env no-op', 1, 0, False),
    ('scalingo_env change and restart', 1, 2, True),
    ('scalingo_env removal', 1, 1, True),
    ('scalingo_app delete', 1, 1, True),
    ('scalingo_app absent no-op', 1, 0, False),
)
READS_NEEDED = {
    'scalingo_app create': 'GET the app: 404',
    'scalingo_app update': 'GET the app',
    'scalingo_scale change': 'GET containers, GET autoscalers',
    'scalingo_restart': 'GET containers, for the scope',
    'scalingo_app delete': 'GET the app',
    'scalingo_env change': 'GET the variables',
    'scalingo_env change and restart': 'GET the variables',
    'scalingo_env removal': 'GET the variables',
}


def log(msg=''):
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Interpreter: ansible-core must be importable


def ensure_ansible():
    """Stop with a clear message when this interpreter has no ansible-core (make bench brings one)."""
    try:
        import ansible.release  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    except ImportError:
        raise SystemExit('%s has no ansible-core: run make bench (nox -s bench), or this script with a Python that '
                         'has ansible-core and requests' % sys.executable) from None


def ansible_playbook_path(command='ansible-playbook'):
    here = os.path.join(os.path.dirname(sys.executable), command)
    if os.path.exists(here):
        return here
    found = shutil.which(command)
    if not found:
        raise SystemExit('%s not found beside %s nor on PATH' % (command, sys.executable))
    return found


# ---------------------------------------------------------------------------------------------
# Simulator


def parse_time(text):
    """Epoch seconds of the request log's times (YYYY-MM-DDThh:mm:ss.mmmZ, UTC)."""
    when = datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ')
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


class Simulator:
    """The bundled simulator, started on a free port and stopped by its PID."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.request_log = os.path.join(workdir, 'requests.jsonl')
        self.console_log = os.path.join(workdir, 'simulator.log')
        self.proc = None
        self.url = None
        self._offset = 0

    def start(self, timeout=30):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', PYTHONUNBUFFERED='1')
        env.pop('PYTHONPATH', None)
        with open(self.console_log, 'wb') as stderr:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'simulator', '--port', '0', '--request-log', self.request_log,
                 '--rate-limit', '0', '--operation-duration', '3'],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        line = b''
        while time.monotonic() < deadline and not line.endswith(b'\n'):
            if not selector.select(max(deadline - time.monotonic(), 0)):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
        selector.close()
        match = LISTENING_RE.search(line.decode('utf-8', 'replace'))
        if not match:
            self.stop()
            raise SystemExit('The simulator did not start (see %s)' % self.console_log)
        self.url = match.group(1)
        log('Simulator listening on %s (pid %d, request log %s)' % (self.url, self.proc.pid, self.request_log))

    def stop(self):
        """SIGTERM to the simulator's PID, then SIGKILL after 10 s; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        log('Simulator stopped (pid %d, exit status %s)' % (self.proc.pid, self.proc.returncode))
        return self.proc.returncode

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def admin(self, method, path, body=None):
        """A call to the admin API (/_sim/...); returns the decoded answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise SystemExit('simulator admin call %s %s failed: %s %s' % (
                method, path, exc.code, exc.read()[:300])) from exc
        return json.loads(raw) if raw.strip() else None

    def configure(self, **config):
        return self.admin('POST', '/_sim/config', config)

    def reset(self, **config):
        """Empty state and rate-limit windows, the given configuration, a mark in the request log."""
        self.admin('POST', '/_sim/reset', {})
        if config:
            self.configure(**config)
        self.mark()

    def mark(self):
        """Requests logged from now on are what entries() returns."""
        self._offset = os.path.getsize(self.request_log) if os.path.exists(self.request_log) else 0

    def entries(self):
        """The request log entries since the last mark, each with 't' (epoch seconds)."""
        if not os.path.exists(self.request_log):
            return []
        with open(self.request_log, 'rb') as handle:
            handle.seek(self._offset)
            lines = handle.read().decode('utf-8').splitlines()
        entries = []
        for line in lines:
            if line.strip():
                entry = json.loads(line)
                entry['t'] = parse_time(entry['time'])
                entries.append(entry)
        return entries

    def operations(self):
        """Operations of the simulator's state: id -> {created_at, duration, ...}."""
        return self.admin('GET', '/_sim/state').get('operations') or {}


def kind(entry):
    """exchange, auth, refused (429), poll (GET of an operation), read (other GET/HEAD) or write."""
    path = entry['path']
    if path == EXCHANGE_PATH:
        return 'exchange'
    if path in AUTH_PATHS:
        return 'auth'
    if entry.get('status') == 429:
        return 'refused'
    if entry['method'] in ('GET', 'HEAD'):
        return 'poll' if OPERATION_RE.match(path) else 'read'
    return 'write'


def count(entries):
    counts = dict(exchange=0, auth=0, refused=0, poll=0, read=0, write=0)
    for entry in entries:
        counts[kind(entry)] += 1
    counts['api'] = counts['read'] + counts['write'] + counts['poll']   # what the rate limit counts
    return counts


def within(entries, start, end, slack=0.005):
    return [e for e in entries if start - slack <= e['t'] <= end + slack]


# ---------------------------------------------------------------------------------------------
# Playbook runs


class Run:
    """One ansible-playbook run: exit status, wall time, per-task timings, log file."""

    def __init__(self, returncode, wall, timings, log_path):
        self.returncode, self.wall, self.timings, self.log_path = returncode, wall, timings, log_path

    @property
    def failed(self):
        return [t for t in self.timings if t['status'] in ('failed', 'unreachable')]

    def measured(self, name=None):
        """Timings of the tasks named 'Measure <name>' (all measured tasks without name), in order."""
        prefix = 'Measure '
        return [t for t in self.timings if t['task'].startswith(prefix)
                and (name is None or t['task'][len(prefix):] == name)]

    def ok(self):
        return self.returncode == 0 and not self.failed


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.quick = args.quick
        self.workdir = workdir
        self.sim = Simulator(workdir)
        self.playbook_cmd = ansible_playbook_path()
        self.rows = []      # (section, item, value, target, status) status: PASS, FAIL, INFO
        self.results = {}
        self.runs = 0
        collections = os.path.join(workdir, 'collections')
        namespace = os.path.join(collections, 'ansible_collections', 'scalingo')
        os.makedirs(namespace)
        os.symlink(ROOT, os.path.join(namespace, 'cloud'))
        self.collections = collections
        os.makedirs(os.path.join(workdir, 'ansible-home'))
        with open(os.path.join(workdir, 'ansible.cfg'), 'w', encoding='utf-8') as handle:
            handle.write('[defaults]\n')

    def size(self, name):
        full, quick = SIZES[name]
        return quick if self.quick else full

    # -- helpers ---------------------------------------------------------------------------------

    def env(self, cache_dir):
        env = dict((k, v) for k, v in os.environ.items()
                   if not k.startswith(('ANSIBLE_', 'SCALINGO_')) and k not in ('PYTHONPATH', 'VIRTUAL_ENV'))
        home = os.path.join(self.workdir, 'ansible-home')
        env.update({
            'ANSIBLE_CONFIG': os.path.join(self.workdir, 'ansible.cfg'),
            'ANSIBLE_HOME': home,
            'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp'),
            'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp'),
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
            'ANSIBLE_CALLBACKS_ENABLED': 'benchmark_timer',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'PYTHONDONTWRITEBYTECODE': '1',
            'SCALINGO_API_URL': self.sim.url,
            'SCALINGO_AUTH_URL': self.sim.url,
            'SCALINGO_API_TOKEN': TOKEN,
            'SCALINGO_CACHE_DIR': cache_dir,
        })
        return env

    def fresh_cache(self):
        path = tempfile.mkdtemp(prefix='bearer-cache-', dir=self.workdir)
        os.chmod(path, 0o700)
        return path

    def playbook(self, name, label, extra_vars=None, forks=None, cache_dir=None, timeout=3600):
        """Run playbooks/<name>; the log goes to <workdir>/logs/<nn>-<label>.log."""
        self.runs += 1
        logs = os.path.join(self.workdir, 'logs')
        os.makedirs(logs, exist_ok=True)
        stem = '%02d-%s' % (self.runs, label)
        log_path = os.path.join(logs, stem + '.log')
        timings_path = os.path.join(logs, stem + '.timings.jsonl')
        vars_path = os.path.join(logs, stem + '.vars.json')
        with open(vars_path, 'w', encoding='utf-8') as handle:
            json.dump(extra_vars or {}, handle)
        env = self.env(cache_dir or self.fresh_cache())
        env['SCALINGO_BENCH_TIMINGS'] = timings_path
        cmd = [self.playbook_cmd, os.path.join(PLAYBOOKS, name), '-e', '@' + vars_path]
        if forks:
            cmd += ['--forks', str(forks)]
        log('  ansible-playbook %s%s (log: %s)' % (name, ' --forks %d' % forks if forks else '', log_path))
        started = time.monotonic()
        with open(log_path, 'wb') as output:
            try:
                returncode = subprocess.run(cmd, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=subprocess.STDOUT, timeout=timeout, check=False).returncode
            except subprocess.TimeoutExpired:
                returncode = 'timeout'
        wall = time.monotonic() - started
        timings = []
        if os.path.exists(timings_path):
            with open(timings_path, encoding='utf-8') as handle:
                timings = [json.loads(line) for line in handle if line.strip()]
        run = Run(returncode, wall, timings, log_path)
        if not run.ok():
            log('  FAILED (exit status %s, %d failed task results); end of the log:' % (returncode, len(run.failed)))
            with open(log_path, encoding='utf-8', errors='replace') as handle:
                for line in handle.read().splitlines()[-25:]:
                    log('    ' + line)
        if not self.sim.alive():
            raise SystemExit('the simulator stopped during %s (see %s)' % (name, self.sim.console_log))
        return run

    def row(self, section, item, value, target='', status='INFO'):
        self.rows.append(dict(section=section, item=item, value=value, target=target, status=status))

    @staticmethod
    def verdict(ok):
        return 'PASS' if ok else 'FAIL'

    def timing_verdict(self, ok):
        """Timing targets: FAIL in a full run; in a quick run, where they are noisy, MISS (not fatal)."""
        return 'PASS' if ok else ('MISS' if self.quick else 'FAIL')

    # -- measurements ----------------------------------------------------------------------------

    def measure_requests(self):
        section = 'requests per task'
        duration, interval = 2.0, 1.0
        self.sim.reset(operation_duration=duration, rate_limit=0)
        run = self.playbook('requests.yml', 'requests')
        entries = self.sim.entries()
        per_task = []
        measured = {t['task'][len('Measure '):]: t for t in run.measured()}
        for name, reads, writes, changed in EXPECTED_REQUESTS:
            timing = measured.get(name)
            if timing is None:
                self.row(section, name, 'task did not run', status='FAIL')
                continue
            counts = count(within(entries, timing['task_start'], timing['end']))
            if writes:
                ok = counts['read'] == reads and counts['write'] == writes
                target = '%d read%s (%s) + %d write%s' % (
                    reads, '' if reads == 1 else 's', READS_NEEDED.get(name, ''), writes, '' if writes == 1 else 's')
            else:
                ok = counts['read'] + counts['write'] + counts['poll'] == 1
                target = 'exactly 1 request'
            polls_bound = duration / interval + 1
            if counts['poll']:
                ok = ok and counts['poll'] <= polls_bound
                target += ', polls <= %.3g' % polls_bound
            ok = ok and timing['changed'] == changed and timing['status'] == 'ok'
            value = '%d read + %d write' % (counts['read'], counts['write'])
            if counts['poll']:
                value += ' + %d poll' % counts['poll']
            value += ', changed=%s' % str(timing['changed']).lower()
            per_task.append(dict(task=name, reads=counts['read'], writes=counts['write'], polls=counts['poll'],
                                 exchanges=counts['exchange'], changed=timing['changed'], status=timing['status']))
            self.row(section, name, value, target, self.verdict(ok))
        exchanges = count(entries)['exchange']
        self.row(section, 'token exchanges in the run (fresh cache)', str(exchanges), 'exactly 1',
                 self.verdict(exchanges == 1))
        self.results['requests'] = dict(operation_duration=duration, poll_interval=interval, tasks=per_task,
                                        exchanges=exchanges, ok=run.ok())

    def measure_bearer(self):
        section = 'bearer cache'
        hosts, tasks = self.size('bearer_hosts'), self.size('bearer_tasks')
        self.sim.reset(rate_limit=0)
        self.sim.admin('POST', '/_sim/apps', {'name': 'bench-bearer'})
        cache = self.fresh_cache()
        rounds = []
        for label, expected in (('empty cache', 1), ('warm cache', 0), ('bearer revoked by the API', 1)):
            if expected and rounds:
                self.sim.admin('POST', '/_sim/bearers/expire', {})   # the cached bearer is refused from now on
            self.sim.mark()
            run = self.playbook('bearer.yml', 'bearer', dict(bench_hosts=hosts, bench_tasks=tasks, bench_app='bench-bearer'),
                                forks=hosts, cache_dir=cache)
            entries = self.sim.entries()
            exchanges = count(entries)['exchange']
            answered = len([e for e in entries if kind(e) == 'read' and e.get('status') == 200])
            refused = len([e for e in entries if kind(e) == 'read' and e.get('status') == 401])
            ok = run.ok() and exchanges == expected and answered == hosts * tasks
            rounds.append(dict(cache=label, module_runs=hosts * tasks, forks=hosts, exchanges=exchanges,
                               gets_answered=answered, gets_refused_401=refused, wall_s=round(run.wall, 2), ok=run.ok()))
            value = '%d exchange%s, %d GET' % (exchanges, '' if exchanges == 1 else 's', answered)
            if refused:
                value += ' (+%d refused with 401)' % refused
            self.row(section, '%d module runs, %d forks, %s' % (hosts * tasks, hosts, label), value,
                     '%d exchange%s' % (expected, '' if expected == 1 else 's'), self.verdict(ok))
        self.results['bearer'] = dict(hosts=hosts, tasks_per_host=tasks, rounds=rounds)

    def measure_waiting(self):
        section = 'waiting'
        cases = []
        for duration, interval in self.size('wait_cases'):
            self.sim.reset(operation_duration=duration, rate_limit=0)
            self.sim.admin('POST', '/_sim/apps', {'name': 'bench-waiting'})
            run = self.playbook('waiting.yml', 'waiting-d%g-i%g' % (duration, interval),
                                dict(bench_app='bench-waiting', bench_amount=2, bench_interval=interval))
            entries = self.sim.entries()
            polls = [e for e in entries if kind(e) == 'poll']
            operations = self.sim.operations()
            timing = (run.measured('scalingo_scale waiting') or [None])[0]
            op_ids = sorted(set(OPERATION_RE.match(e['path']).group(1) for e in polls))
            if not run.ok() or len(op_ids) != 1 or op_ids[0] not in operations or timing is None:
                self.row(section, 'operation %g s, poll_interval %g s' % (duration, interval), 'no operation followed',
                         status='FAIL')
                continue
            operation = operations[op_ids[0]]
            finished = operation['created_at'] + operation['duration']
            last_poll = max(e['t'] for e in polls)
            poll_lag, task_lag = last_poll - finished, timing['end'] - finished
            bound = duration / interval + 1
            ok = len(polls) <= bound and 0 <= poll_lag <= interval
            cases.append(dict(duration_s=duration, poll_interval_s=interval, polls=len(polls), polls_bound=bound,
                              return_lag_s=round(poll_lag, 3), task_end_lag_s=round(task_lag, 3), ok=ok))
            self.row(section, 'operation %g s, poll_interval %g s' % (duration, interval),
                     '%d poll%s, returns %.2f s after the end (task %.2f s)' % (
                         len(polls), '' if len(polls) == 1 else 's', poll_lag, task_lag),
                     'polls <= %.3g, lag <= %g s' % (bound, interval), self.verdict(ok))
        self.results['waiting'] = dict(cases=cases)

    def measure_deployment(self):
        """Polls of one scalingo_deployment against the deployment's duration (the simulator's
        deployment_duration): at most duration / interval + 1 polls, the last one within one interval of the end."""
        section = 'waiting for a deployment'
        cases = []
        for number, (duration, interval) in enumerate(self.size('deployment_cases')):
            label = 'deployment %g s, poll_interval %g s' % (duration, interval)
            self.sim.reset(deployment_duration=duration, rate_limit=0)
            self.sim.admin('POST', '/_sim/apps', {'name': 'bench-deploy'})
            run = self.playbook('deployment.yml', 'deployment-d%g-i%g' % (duration, interval),
                                dict(bench_app='bench-deploy', bench_interval=interval, bench_source_dir=EXAMPLE_APP,
                                     bench_git_ref='bench-%d' % number))
            entries = self.sim.entries()
            polls = [e for e in entries if e['method'] == 'GET' and DEPLOYMENT_RE.match(e['path'])]
            timing = (run.measured('scalingo_deployment waiting') or [None])[0]
            apps = self.sim.admin('GET', '/_sim/state').get('apps') or {}
            deployments = [d for a in apps.values() for d in a.get('deployments') or []]
            if not run.ok() or len(deployments) != 1 or not polls or timing is None:
                self.row(section, label, 'no deployment followed', status='FAIL')
                continue
            deployment = deployments[0]
            finished = deployment['start_at'] + deployment['duration']
            last_poll = max(e['t'] for e in polls)
            poll_lag, task_lag = last_poll - finished, timing['end'] - finished
            bound = duration / interval + 1
            ok = len(polls) <= bound and 0 <= poll_lag <= interval
            cases.append(dict(duration_s=duration, poll_interval_s=interval, polls=len(polls), polls_bound=bound,
                              return_lag_s=round(poll_lag, 3), task_end_lag_s=round(task_lag, 3), ok=ok))
            self.row(section, label, '%d poll%s, returns %.2f s after the end (task %.2f s)' % (
                len(polls), '' if len(polls) == 1 else 's', poll_lag, task_lag),
                'polls <= %.3g, lag <= %g s' % (bound, interval), self.verdict(ok))
        self.results['deployment'] = dict(cases=cases)

    def measure_overhead(self):
        section = 'overhead'
        reps = self.size('overhead_reps')
        self.sim.reset(rate_limit=0)
        run = self.playbook('overhead.yml', 'overhead', dict(bench_app='bench-overhead', bench_reps=reps))
        entries = self.sim.entries()
        info, uri = run.measured('scalingo_app_info'), run.measured('ansible.builtin.uri')
        if not run.ok() or len(info) != reps or len(uri) != reps:
            self.row(section, 'scalingo_app_info / uri', 'run failed', status='FAIL')
            return
        requests_each = [count(within(entries, t['task_start'], t['end']))['read'] for t in info + uri]

        def task_time(timing):
            return timing['end'] - timing['task_start']

        info_s, uri_s = [task_time(t) for t in info], [task_time(t) for t in uri]
        ratios = [a / b for a, b in zip(info_s, uri_s)]
        ratio = statistics.median(ratios)
        same = all(n == 1 for n in requests_each)
        self.results['overhead'] = dict(
            repetitions=reps, order='interleaved: odd pairs scalingo_app_info first, even pairs uri first',
            scalingo_app_info_s=[round(x, 4) for x in info_s], uri_s=[round(x, 4) for x in uri_s],
            ratios=[round(x, 4) for x in ratios], median_ratio=round(ratio, 4),
            median_scalingo_app_info_s=round(statistics.median(info_s), 4),
            median_uri_s=round(statistics.median(uri_s), 4), one_get_each=same)
        self.row(section, 'scalingo_app_info task, median of %d' % reps, '%.3f s' % statistics.median(info_s))
        self.row(section, 'ansible.builtin.uri task (same GET), median of %d' % reps, '%.3f s' % statistics.median(uri_s))
        self.row(section, 'median ratio info/uri (per pair)', '%.3f (min %.3f, max %.3f)' % (ratio, min(ratios), max(ratios)),
                 '<= %.2f' % OVERHEAD_TARGET, self.timing_verdict(ratio <= OVERHEAD_TARGET))
        self.row(section, 'requests per task', 'exactly 1 GET each' if same else 'not 1 GET each: %s' % requests_each,
                 '1 GET each', self.verdict(same))

    def fleet_run(self, size, forks, rate_limit, label):
        self.sim.reset(operation_duration=3, rate_limit=rate_limit)
        run = self.playbook('fleet.yml', label, dict(bench_fleet_size=size), forks=forks)
        counts = count(self.sim.entries())
        apps = len(self.sim.admin('GET', '/_sim/state').get('apps') or {})
        measured = run.measured()
        failed = len([t for t in measured if t['status'] != 'ok'])
        ok = run.ok() and failed == 0 and len(measured) == 2 * size and apps == size
        return run, counts, ok, failed

    def measure_fleet(self):
        section = 'fleet, no rate limit'
        size = self.size('fleet_size')
        data = []
        for forks in self.size('fleet_forks'):
            run, counts, ok, failed = self.fleet_run(size, forks, 0, 'fleet-forks%d' % forks)
            per_minute = size / run.wall * 60
            data.append(dict(apps=size, forks=forks, wall_s=round(run.wall, 2), apps_per_minute=round(per_minute, 1),
                             api_requests=counts['api'], requests_per_app=round(counts['api'] / size, 2),
                             exchanges=counts['exchange'], failed_tasks=failed, ok=ok))
            self.row(section, '%d apps, forks %d' % (size, forks),
                     '%.1f apps/min (%.1f s, %d requests, %d exchange)' % (per_minute, run.wall, counts['api'], counts['exchange']),
                     'no failed task', self.verdict(ok))
        self.results['fleet'] = data

    def measure_fleet_rate_limited(self):
        size, limit = self.size('rate_limited_fleet'), self.size('rate_limit')
        section = 'fleet, rate limit %d/min' % limit
        if not size:
            self.row(section, 'not run in --quick mode', '-')
            return
        forks = max(self.size('fleet_forks'))
        run, counts, ok, failed = self.fleet_run(size, forks, limit, 'fleet-rate-limited')
        floor = counts['api'] / float(limit) * 60
        window_floor = max(counts['api'] - limit, 0) / float(limit) * 60
        ratio = run.wall / floor if floor else 0
        self.results['fleet_rate_limited'] = dict(
            apps=size, forks=forks, rate_limit_per_minute=limit, api_requests=counts['api'], refused_429=counts['refused'],
            exchanges=counts['exchange'], wall_s=round(run.wall, 2), floor_s=round(floor, 2),
            sliding_window_floor_s=round(window_floor, 2), ratio=round(ratio, 4), failed_tasks=failed, ok=ok)
        self.row(section, '%d apps, forks %d: failed tasks' % (size, forks), str(failed), '0', self.verdict(ok))
        self.row(section, 'API requests (429 refusals apart)', '%d (+%d refused with 429, %d exchange)' % (
            counts['api'], counts['refused'], counts['exchange']))
        self.row(section, 'wall time / floor (requests / %d per min)' % limit,
                 '%.1f s / %.1f s = %.3f' % (run.wall, floor, ratio), '<= %.2f' % FLEET_TARGET,
                 self.timing_verdict(ratio <= FLEET_TARGET))
        self.row(section, 'lower bound: the window lets %d through at once' % limit,
                 '(%d - %d) / %d per min = %.1f s' % (counts['api'], limit, limit, window_floor))

    def inventory_refresh(self, name, config, label, extra_args=()):
        """ansible-inventory --list on a <name>.scalingo.yml written from `config`; (ok, wall s, counts, hosts)."""
        path = os.path.join(self.workdir, '%s.scalingo.yml' % name)
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(dict(config, plugin='scalingo.cloud.scalingo'), handle)   # JSON is YAML
        env = self.env(self.inventory_bearer_cache)
        env.pop('SCALINGO_API_URL')
        env['ANSIBLE_INVENTORY_ENABLED'] = 'scalingo.cloud.scalingo'
        env['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = 'true'
        self.runs += 1
        log_path = os.path.join(self.workdir, 'logs', '%02d-%s.log' % (self.runs, label))
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        log('  ansible-inventory -i %s --list %s(log: %s)' % (os.path.basename(path), ' '.join(extra_args) + ' ' if extra_args else '', log_path))
        self.sim.mark()
        started = time.monotonic()
        done = subprocess.run([ansible_playbook_path('ansible-inventory'), '-i', path, '--list'] + list(extra_args),
                              cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=600,
                              check=False)
        wall = time.monotonic() - started
        with open(log_path, 'wb') as handle:
            handle.write(done.stdout + done.stderr)
        counts = count(self.sim.entries())
        hosts = 0
        if done.returncode == 0:
            hosts = len(json.loads(done.stdout).get('_meta', {}).get('hostvars', {}))
        else:
            log('  FAILED (exit status %d): %s' % (done.returncode, done.stderr.decode('utf-8', 'replace')[-1000:]))
        return done.returncode == 0, wall, counts, hosts

    def measure_inventory(self):
        section = 'inventory plugin, requests per refresh'
        per_region = self.size('inventory_apps_per_region')
        self.sim.reset(rate_limit=0)
        for region in INVENTORY_REGIONS:
            for index in range(per_region):
                self.sim.admin('POST', '/_sim/apps', {'name': 'inv-%s-%02d' % (region[:6].strip('-'), index),
                                                      'region': region, 'project': 'project-%d' % (index % 3)})
        apps, regions = per_region * len(INVENTORY_REGIONS), len(INVENTORY_REGIONS)
        self.inventory_bearer_cache = self.fresh_cache()
        cache_dir = os.path.join(self.workdir, 'inventory-cache')
        cached = {'regions': ['all'], 'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile',
                  'cache_connection': cache_dir}
        cases = (
            # name, config, extra args, hosts, API requests and GET /v1/regions expected, what it is
            ('one-region', {'regions': ['simulator'], 'api_url': self.sim.url}, (), per_region, 1, 0,
             'one region with api_url'),
            ('all-regions', {'regions': ['all']}, (), apps, regions, 1, 'regions: all (%d regions)' % regions),
            ('formation', {'regions': ['all'], 'include': ['formation']}, (), apps, regions + apps, 1,
             'regions: all, include: [formation]'),
            ('cached', cached, ('--flush-cache',), apps, regions, 1, 'cache: true, first refresh'),
            ('cached', cached, (), apps, 0, 0, 'cache: true, from the cache'),
        )
        data = []
        for name, config, extra, hosts_expected, api_expected, auth_expected, label in cases:
            ok, wall, counts, hosts = self.inventory_refresh(name, dict(config, auth_url=self.sim.url), 'inventory-' + name,
                                                             extra)
            # the token is exchanged once, on the first refresh: the modules' bearer cache is shared
            good = ok and hosts == hosts_expected and counts['api'] == api_expected and counts['auth'] == auth_expected
            data.append(dict(case=label, hosts=hosts, api_requests=counts['api'], auth_requests=counts['auth'],
                             exchanges=counts['exchange'], wall_s=round(wall, 2), ok=good))
            self.row(section, '%s, %d hosts' % (label, hosts),
                     '%d API + %d GET /v1/regions (%.1f s)' % (counts['api'], counts['auth'], wall),
                     '%d + %d' % (api_expected, auth_expected), self.verdict(good))
        self.results['inventory'] = dict(apps=apps, regions=regions, refreshes=data)

    # -- driver ----------------------------------------------------------------------------------

    def run(self, only):
        self.sim.start()
        try:
            for name in MEASUREMENTS:
                if only and name not in only:
                    continue
                log('== %s' % name)
                started = time.monotonic()
                getattr(self, 'measure_' + name.replace('-', '_'))()
                log('   %.1f s' % (time.monotonic() - started))
        finally:
            self.sim.stop()


def environment():
    import ansible.release  # pylint: disable=import-outside-toplevel
    try:
        import requests  # pylint: disable=import-outside-toplevel
        requests_version = requests.__version__
    except ImportError:
        requests_version = None
    return dict(python=platform.python_version(), ansible_core=ansible.release.__version__, requests=requests_version,
                cpus=os.cpu_count(), platform=platform.platform(), load_average=[round(x, 2) for x in os.getloadavg()])


def table(rows):
    """The table as aligned Markdown (readable as is, and pasted as is into README.md)."""
    head = ('', 'measurement', 'value', 'target', 'result')
    body, section = [], None
    for r in rows:
        body.append(('**%s**' % r['section'] if r['section'] != section else '', r['item'], r['value'], r['target'],
                     '' if r['status'] == 'INFO' else r['status']))
        section = r['section']
    widths = [max(len(cells[i]) for cells in [head] + body) for i in range(len(head))]

    def line(cells):
        return '| ' + ' | '.join(c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    return '\n'.join([line(head), '|' + '|'.join('-' * (w + 2) for w in widths) + '|'] + [line(b) for b in body])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', '--smoke', action='store_true',
                        help='small run for CI: fleet of 5 apps without rate limit, 3 overhead pairs, no rate-limited fleet')
    parser.add_argument('--only', default='',
                        help='comma-separated measurements among: %s' % ', '.join(MEASUREMENTS))
    parser.add_argument('--output', default=DEFAULT_OUTPUT, help='JSON file of the results (default: %(default)s)')
    parser.add_argument('--keep-work', action='store_true',
                        help='keep the work folder (playbook logs, request log, simulator log)')
    args = parser.parse_args(argv)
    only = [m for m in re.split(r'[\s,]+', args.only) if m]
    unknown = [m for m in only if m not in MEASUREMENTS]
    if unknown:
        parser.error('unknown measurement(s) %s; choose among %s' % (', '.join(unknown), ', '.join(MEASUREMENTS)))
    ensure_ansible()

    base = os.environ.get('SCALINGO_DEV_WORK') or None
    workdir = tempfile.mkdtemp(prefix='scalingo-bench-', dir=base)
    started = time.time()
    bench = Bench(args, workdir)
    log('Benchmark (%s mode), work folder %s' % ('quick' if args.quick else 'full', workdir))
    try:
        bench.run(only)
    finally:
        if args.keep_work:
            log('Work folder kept: %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [r for r in bench.rows if r['status'] == 'FAIL']
    text = table(bench.rows)
    log('')
    log(text)
    report = dict(
        mode='quick' if args.quick else 'full', measurements=only or list(MEASUREMENTS),
        started=datetime.datetime.fromtimestamp(started, datetime.timezone.utc).isoformat(timespec='seconds'),
        duration_s=round(time.time() - started, 1), environment=environment(), table=bench.rows,
        results=bench.results, failed_checks=len(failed))
    output = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=2)
        handle.write('\n')
    log('')
    log('%d checks passed, %d failed%s; results written to %s' % (
        len([r for r in bench.rows if r['status'] == 'PASS']), len(failed),
        ', %d timing targets missed' % len([r for r in bench.rows if r['status'] == 'MISS'])
        if any(r['status'] == 'MISS' for r in bench.rows) else '', output))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
