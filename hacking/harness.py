# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness and demo runner of the scalingo.cloud collection.

Run through the Makefile (``make test``, ``make demo``, ``make lock``, ``make clean``) or directly
with ``python3 hacking/harness.py {test,demo,lock,clean,matrix}``. Standard library only.

Everything it creates lives outside the checkout, under ``$SCALINGO_DEV_HOME`` (default
``${XDG_CACHE_HOME:-$HOME/.cache}/scalingo-cloud-dev``): one virtual environment per pinned
requirements file in ``hacking/requirements/``, and one work folder per test run holding a physical
copy of the collection at ``<run>/collections/ansible_collections/scalingo/cloud``. The only file
written elsewhere is the offline pip bootstrap that ansible-test looks for in
``~/.ansible/test/cache/get_pip_<version>.py`` (see ``hacking/get_pip_standin.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import fnmatch
import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HACKING = os.path.join(ROOT, 'hacking')
REQUIREMENTS = os.path.join(HACKING, 'requirements')
NAMESPACE = 'scalingo'
NAME = 'cloud'
FQCN = NAMESPACE + '.' + NAME

# The ansible-core lines tested: (line, Python version, always). The first line is the oldest
# supported one and must match requires_ansible in meta/runtime.yml. A line that is not "always"
# runs only when its Python is found, and says so plainly when it is not.
MATRIX = (
    ('2.16', '3.11', True),
    ('2.19', '3.11', True),
    ('2.21', '3.13', False),
)
# A full run runs the integration targets twice: in the secret-scan stage (every target with -vvvv) with
# the oldest line of the run, and in integration-<line> on the newest; the lines between have their sanity
# and unit tests. STAGES=integration-<line> runs any line.
# Python version of each virtual environment that is not a matrix line.
TOOL_PYTHON = '3.11'
# Python versions acceptable for the demo (ansible-core 2.19 controller).
DEMO_PYTHONS = ('3.11', '3.12', '3.13')

SIMULATOR_TOKEN = 'tk-us-simulator-default-token'
LISTENING_RE = re.compile(r'listening on (http://127\.0\.0\.1:\d+)')
STAGE_TIMEOUT = int(os.environ.get('STAGE_TIMEOUT', '1800'))
# Workers of the stages that split their work (sanity, integration; the secret scan has its own, same
# default): each has its own copy of the collection. A target spends most of its time in Python on the
# controller, one core per worker.
JOBS = max(1, int(os.environ.get('HARNESS_JOBS') or min(2, os.cpu_count() or 1)))
# The slowest integration targets, started first so that the workers finish together (a scheduling
# hint only: a target not listed starts after these, largest first).
SLOW_TARGETS = ('reliability_faults', 'scalingo_one_off', 'reliability_bad_input', 'inventory_scalingo',
                'scalingo_scale', 'scalingo_app', 'scalingo_domain', 'scalingo_deployment')
# Sanity tests run in a worker of their own (the rest run in the other).
SANITY_APART = ('pylint',)

# Paths that must never be in the Galaxy tarball (fnmatch patterns on member names).
FORBIDDEN_IN_TARBALL = (
    'simulator', 'simulator/*',
    'tests/simulator', 'tests/simulator/*',
    'tests/output', 'tests/output/*',
    '*__pycache__*', '*.pyc',
    '.pytest_cache*', '*/.pytest_cache*',
    '.ansible', '.ansible/*', '*/.ansible/*',
    '.git', '.git/*', 'collections', 'collections/*',
    '*node_modules*', '*.tar.gz',
    '.ci', '.ci/*', 'hacking', 'hacking/*', 'benchmarks', 'benchmarks/*',
    'changelogs/.plugin-cache.yaml', 'tests/integration/inventory',
    'docs/build', 'docs/build/*',
)
REQUIRED_IN_TARBALL = (
    'MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml',
    'meta/execution-environment.yml', 'meta/ee-requirements.txt',
)

# Execution environment definition used to check that ansible-builder can write a build context for
# an image holding this collection (stage ee-builder).
EE_DEFINITION = """---
version: 3
images:
  base_image:
    name: quay.io/centos/centos:stream9
dependencies:
  python_interpreter:
    package_system: python3.11
    python_path: /usr/bin/python3.11
  ansible_core:
    package_pip: ansible-core>=2.16
  ansible_runner:
    package_pip: ansible-runner
  galaxy:
    collections:
      - name: /build/collections/{tarball_name}
        type: file
additional_build_files:
  - src: {tarball}
    dest: collections
additional_build_steps:
  prepend_galaxy:
    - COPY _build/collections/ /build/collections/
"""

# Hooks: stages that run when their entry point exists in the collection, and are reported as
# SKIPPED otherwise. Documented in docs/developing.md, section "Test harness".
HOOKS = (
    ('molecule', 'roles/*/molecule/*/molecule.yml'),
    ('docs-build', 'docs/build.sh'),
    ('secret-scan', 'tests/secret_scan/run.py'),
    ('benchmark-smoke', 'benchmarks/run.py'),
)


class StageFailed(Exception):
    """A stage failed; the message says why."""


class StageSkipped(Exception):
    """A stage did not run; the message says why."""


def log(msg=''):
    sys.stdout.write(msg + '\n')  # one write: workers log from threads
    sys.stdout.flush()


def dev_home():
    """Folder for virtual environments and work folders, outside the checkout."""
    home = os.environ.get('SCALINGO_DEV_HOME')
    if not home:
        cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
        home = os.path.join(cache, 'scalingo-cloud-dev')
    home = os.path.abspath(home)
    if home == ROOT or home.startswith(ROOT + os.sep):
        raise SystemExit('SCALINGO_DEV_HOME must be outside the checkout (%s)' % ROOT)
    return home


def clean_env(extra=None, path_first=None):
    """Environment for child processes: no colours, no prompts, no stray collections path."""
    env = dict(os.environ)
    for key in ('ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'PYTHONPATH', 'VIRTUAL_ENV'):
        env.pop(key, None)
    env.update({
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'NO_COLOR': '1',
        'PY_COLORS': '0',
        'PIP_DISABLE_PIP_VERSION_CHECK': '1',
        'PIP_NO_INPUT': '1',
    })
    if path_first:
        env['PATH'] = os.pathsep.join(list(path_first) + [env.get('PATH', '')])
    if extra:
        env.update(extra)
    return env


def run(cmd, cwd=None, env=None, log_path=None, timeout=STAGE_TIMEOUT, echo=True, on_line=None):
    """Run cmd, stream its output (and write it to log_path, and give each line to on_line); return (returncode, output)."""
    if echo:
        log('$ ' + ' '.join(str(c) for c in cmd))
    lines = []
    log_file = open(log_path, 'a', encoding='utf-8') if log_path else None  # pylint: disable=consider-using-with
    try:
        with subprocess.Popen(
            [str(c) for c in cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        ) as proc:
            expired = threading.Event()

            def expire():
                expired.set()
                _kill_group(proc.pid)

            timer = threading.Timer(timeout, expire)
            timer.start()
            try:
                for raw in proc.stdout:
                    line = raw.decode('utf-8', 'replace')
                    lines.append(line)
                    if on_line:
                        on_line(line)
                    if echo:
                        sys.stdout.write(line)
                        sys.stdout.flush()
                    if log_file:
                        log_file.write(line)
                proc.wait()
            except BaseException:
                _kill_group(proc.pid)
                raise
            finally:
                timer.cancel()
        if expired.is_set():
            lines.append('\nTimed out after %d s: %s\n' % (timeout, cmd[0]))
            log(lines[-1].strip())
        return proc.returncode, ''.join(lines)
    finally:
        if log_file:
            log_file.close()


def _kill_group(pid):
    """Stop the process group of a command this harness started (its id is the child's pid)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        time.sleep(5)
        os.killpg(pid, signal.SIGKILL)


def pytest_counts(output):
    """Sum the closing lines of every pytest run in output: '12 passed, 1 skipped'."""
    totals = {}
    for summary in re.findall(r'^=+ (.*?) in [\d.]+s(?: \([^)]*\))? =+$', output, re.M):
        for number, word in re.findall(r'(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)', summary):
            word = {'error': 'errors', 'warning': 'warnings'}.get(word, word)
            totals[word] = totals.get(word, 0) + int(number)
    order = ('passed', 'failed', 'errors', 'skipped', 'xfailed', 'xpassed', 'deselected')
    return ', '.join('%d %s' % (totals[w], w) for w in order if w in totals)


def pytest_result(tool, returncode, output):
    """The counts of a pytest run that passed; StageFailed naming the tool otherwise."""
    counts = pytest_counts(output)
    if returncode != 0:
        raise StageFailed('%s exited %s%s' % (tool, returncode, (': ' + counts) if counts else ''))
    if not counts:
        raise StageFailed('%s ran no test' % tool)
    return counts


def last_line(output, width=100):
    """The last non-empty line of a command's output, shortened, for a stage's details."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ''
    return lines[-1] if len(lines[-1]) <= width else lines[-1][:width - 3] + '...'


def tail(output, count=60):
    """The last lines of a command's output, for a failure whose output was not shown."""
    return ''.join(output.splitlines(True)[-count:]).rstrip()


def check(cmd, what, **kwargs):
    """Run cmd; raise StageFailed when it exits non-zero. Return its output."""
    returncode, output = run(cmd, **kwargs)
    if returncode != 0:
        raise StageFailed('%s exited %s' % (what, returncode))
    return output


# ---------------------------------------------------------------------------------------------
# Pythons and virtual environments


def _python_version(exe):
    """Return 'X.Y' for an interpreter that works and has venv + ensurepip, else None."""
    try:
        out = subprocess.run(
            [exe, '-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'],
            capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pyenv_root():
    root = os.environ.get('PYENV_ROOT')
    if root:
        return root
    pyenv = shutil.which('pyenv')
    if not pyenv:
        return None
    try:
        out = subprocess.run([pyenv, 'root'], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _version_key(path):
    return [int(n) if n.isdigit() else 0 for n in re.split(r'[.-]', os.path.basename(os.path.dirname(os.path.dirname(path))))]


def find_python(version):
    """Find an interpreter of version 'X.Y': $SCALINGO_PYTHON_X_Y, pythonX.Y or python3 on PATH, pyenv."""
    candidates = []
    override = os.environ.get('SCALINGO_PYTHON_' + version.replace('.', '_'))
    if override:
        candidates.append(override)
    for name in ('python' + version, 'python3'):
        exe = shutil.which(name)
        if exe:
            candidates.append(exe)
    root = _pyenv_root()
    if root:
        found = glob.glob(os.path.join(root, 'versions', version + '*', 'bin', 'python' + version))
        candidates.extend(sorted(found, key=_version_key, reverse=True))
    for exe in candidates:
        if _python_version(exe) == version:
            return exe
    return None


def _python_search_text(version):
    return '$SCALINGO_PYTHON_%s, python%s or python3 on PATH, pyenv versions %s*' % (
        version.replace('.', '_'), version, version)


@contextlib.contextmanager
def file_lock(path, what):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log('Waiting for %s (used by another run)...' % what)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Venvs:
    """Virtual environments built from hacking/requirements/<name>.txt, keyed by content."""

    def __init__(self, home):
        self.home = home
        self._locks = contextlib.ExitStack()
        self._held = set()

    def close(self):
        self._locks.close()

    def path(self, name, python, extra_requirements=()):
        lock_file = os.path.join(REQUIREMENTS, name + '.txt')
        digest = hashlib.sha256()
        digest.update(name.encode())
        digest.update(python.encode())
        for path in (lock_file,) + tuple(extra_requirements):
            with open(path, 'rb') as handle:
                digest.update(handle.read())
        version = _python_version(python) or 'unknown'
        return os.path.join(self.home, 'venvs', '%s-py%s-%s' % (name, version, digest.hexdigest()[:12]))

    def ensure(self, name, python, extra_requirements=(), hold=False):
        """Create the venv if needed; with hold, keep it locked until the harness exits."""
        venv = self.path(name, python, extra_requirements)
        lock_path = os.path.join(self.home, 'locks', os.path.basename(venv) + '.lock')
        if hold and venv not in self._held:
            self._locks.enter_context(file_lock(lock_path, 'virtual environment ' + os.path.basename(venv)))
            self._held.add(venv)
            self._create(name, python, venv, extra_requirements)
        elif venv in self._held:
            self._create(name, python, venv, extra_requirements)
        else:
            with file_lock(lock_path, 'virtual environment ' + os.path.basename(venv)):
                self._create(name, python, venv, extra_requirements)
        return venv

    @staticmethod
    def _create(name, python, venv, extra_requirements):
        marker = os.path.join(venv, '.complete')
        if os.path.exists(marker):
            log('Using virtual environment %s' % venv)
            return
        log('Creating virtual environment %s (%s)' % (venv, python))
        shutil.rmtree(venv, ignore_errors=True)
        env = clean_env()
        check([python, '-m', 'venv', venv], 'python -m venv', env=env)
        pip = [os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '--quiet']
        lock_file = os.path.join(REQUIREMENTS, name + '.txt')
        check(pip + ['-r', lock_file], 'pip install -r hacking/requirements/%s.txt' % name, env=env)
        for extra in extra_requirements:
            check(pip + ['-c', lock_file, '-r', extra], 'pip install -r %s' % extra, env=env)
        with open(marker, 'w', encoding='utf-8') as handle:
            handle.write(datetime.datetime.now(datetime.timezone.utc).isoformat() + '\n')


def venv_bin(venv, tool):
    return os.path.join(venv, 'bin', tool)


# ---------------------------------------------------------------------------------------------
# ansible-test offline bootstrap and collection copy


def install_get_pip_standin(venv):
    """Put the offline pip bootstrap where this venv's ansible-test looks for it."""
    pattern = os.path.join(venv, 'lib', 'python*', 'site-packages', 'ansible_test', '_internal', 'python_requirements.py')
    sources = glob.glob(pattern)
    if not sources:
        raise StageFailed('ansible_test not found in %s' % venv)
    with open(sources[0], encoding='utf-8') as handle:
        match = re.search(r"default_packages\s*=\s*dict\(\s*pip='([^']+)'", handle.read())
    if not match:
        raise StageFailed('cannot read the pip version ansible-test bootstraps (%s)' % sources[0])
    cache = os.path.join(os.path.expanduser('~'), '.ansible', 'test', 'cache')
    target = os.path.join(cache, 'get_pip_%s.py' % match.group(1).replace('.', '_'))
    with open(os.path.join(HACKING, 'get_pip_standin.py'), encoding='utf-8') as handle:
        standin = handle.read()
    if os.path.exists(target):
        with open(target, encoding='utf-8', errors='replace') as handle:
            current = handle.read()
        if current == standin:
            return target
        if 'scalingo.cloud get-pip stand-in' not in current:
            log('Keeping the existing pip bootstrap %s' % target)
            return target
    os.makedirs(cache, exist_ok=True)
    with open(target + '.tmp', 'w', encoding='utf-8') as handle:
        handle.write(standin)
    os.replace(target + '.tmp', target)
    log('Installed the offline pip bootstrap %s' % target)
    return target


def source_files():
    """Files of the checkout: tracked and untracked-but-not-ignored (all files without git)."""
    try:
        out = subprocess.run(
            ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
            cwd=ROOT, capture_output=True, check=True, timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = None
    if out is not None:
        return sorted(set(p for p in out.decode('utf-8', 'surrogateescape').split('\0') if p))
    skip_dirs = {'.git', '__pycache__', '.pytest_cache', '.ansible', 'node_modules', 'output', 'collections'}
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs]
        for filename in filenames:
            files.append(os.path.relpath(os.path.join(dirpath, filename), ROOT))
    return sorted(files)


def copy_collection(collections_root):
    """Copy the checkout to <collections_root>/ansible_collections/scalingo/cloud (a real folder)."""
    dest = os.path.join(collections_root, 'ansible_collections', NAMESPACE, NAME)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    count = 0
    for rel in source_files():
        src = os.path.join(ROOT, rel)
        dst = os.path.join(dest, rel)
        if not os.path.lexists(src) or (os.path.isdir(src) and not os.path.islink(src)):
            continue  # deleted but still tracked, or a submodule
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        count += 1
    # A repository of its own, so that ansible-test lists files as in the checkout (tracked and
    # untracked-but-not-ignored) and skips whatever the tests write into the copy.
    try:
        subprocess.run(['git', '-c', 'init.defaultBranch=main', 'init', '-q', dest], check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log('WARNING: no git repository in the copy (%s): ansible-test will test every file in it' % exc)
    log('Copied %d files to %s' % (count, dest))
    return dest


def prune_runs(runs, keep=5, min_age=86400):
    """Remove the work folders of old runs (failed runs keep theirs): all but the last `keep`, if older than a day."""
    if not os.path.isdir(runs):
        return
    folders = sorted(os.listdir(runs), reverse=True)[keep:]
    for folder in folders:
        path = os.path.join(runs, folder)
        if time.time() - os.path.getmtime(path) > min_age:
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Stages


class Harness:
    def __init__(self, matrix_filter, stage_filter, keep):
        self.home = dev_home()
        self.venvs = Venvs(self.home)
        self.results = []  # (name, status, seconds, note)
        self.stage_filter = stage_filter
        self.keep = keep
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        self.run_dir = os.path.join(self.home, 'runs', '%s-%d' % (stamp, os.getpid()))
        self.logs = os.path.join(self.run_dir, 'logs')
        self.collections = os.path.join(self.run_dir, 'collections')
        self.collection = None
        self.tarball = None
        self.lines = self._select_lines(matrix_filter)

    @staticmethod
    def _select_lines(matrix_filter):
        wanted = None
        if matrix_filter and matrix_filter.strip() not in ('all', ''):
            wanted = set(re.split(r'[\s,]+', matrix_filter.strip()))
            unknown = wanted - set(line for line, _python, _always in MATRIX)
            if unknown:
                raise SystemExit('Unknown MATRIX line(s): %s (known: %s)' % (
                    ', '.join(sorted(unknown)), ', '.join(line for line, _p, _a in MATRIX)))
        lines = []
        for line, version, always in MATRIX:
            if wanted is not None and line not in wanted:
                continue
            python = find_python(version)
            lines.append((line, version, python, always))
        return lines

    # -- bookkeeping

    def wanted(self, name):
        if not self.stage_filter:
            return True
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.stage_filter)

    def explicit(self, name):
        """True when STAGES names this stage (a full run leaves some stages to others)."""
        return bool(self.stage_filter) and self.wanted(name)

    def stage(self, name, func, *args, **kwargs):
        """Run one stage; set-up stages (always=True) run whatever STAGES says."""
        if not kwargs.get('always') and not self.wanted(name):
            return None
        log('')
        log('=' * 100)
        log('== STAGE %s' % name)
        log('=' * 100)
        start = time.monotonic()
        status, note, value = 'PASS', '', None
        try:
            value = func(*args)
            if isinstance(value, str):
                note = os.path.relpath(value, self.home) if os.path.isabs(value) else value
        except StageSkipped as exc:
            status, note = 'SKIPPED', str(exc)
            log('SKIPPED %s: %s' % (name, note))
        except StageFailed as exc:
            status, note = 'FAIL', str(exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            status, note = 'FAIL', 'harness error: %r' % (exc,)
        seconds = time.monotonic() - start
        self.results.append((name, status, seconds, note))
        log('== %s %s (%.0f s)%s' % (status, name, seconds, (': ' + note) if note else ''))
        return value if status == 'PASS' else None

    def skip(self, name, reason):
        if not self.wanted(name):
            return
        log('SKIPPED %s: %s' % (name, reason))
        self.results.append((name, 'SKIPPED', 0.0, reason))

    def stage_log(self, name):
        os.makedirs(self.logs, exist_ok=True)
        return os.path.join(self.logs, name + '.log')

    # -- main flow

    def run(self):
        total_start = time.monotonic()
        log('scalingo.cloud test harness')
        log('Checkout: %s' % ROOT)
        log('Work folder: %s' % self.run_dir)
        for line, version, python, always in self.lines:
            if python:
                log('Matrix: ansible-core %s on Python %s (%s)' % (line, version, python))
            elif always:
                log('Matrix: ansible-core %s needs Python %s, which was not found (%s): FAIL' % (
                    line, version, _python_search_text(version)))
            else:
                log('Matrix: ansible-core %s SKIPPED: no Python %s interpreter found (looked for %s)' % (
                    line, version, _python_search_text(version)))
        prune_runs(os.path.join(self.home, 'runs'))
        os.makedirs(self.run_dir, exist_ok=True)
        try:
            self.collection = self.stage('prepare', self.prepare, always=True)
            if self.collection is None:
                raise StageFailed('the collection could not be prepared')
            for line, version, python, always in self.lines:
                self.matrix_line(line, version, python, always)
            self.once_stages()
        except StageFailed:
            pass
        finally:
            self.venvs.close()
        return self.summary(time.monotonic() - total_start)

    def prepare(self):
        self.check_metadata()
        self.collection = copy_collection(self.collections)
        return self.collection

    def check_metadata(self):
        """Contracts the harness relies on: requires_ansible and empty sanity ignore files."""
        with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
            match = re.search(r'''^requires_ansible:\s*['"]?>=\s*([0-9.]+)''', handle.read(), re.M)
        oldest = MATRIX[0][0]
        if not match or '.'.join(match.group(1).split('.')[:2]) != oldest:
            raise StageFailed('meta/runtime.yml requires_ansible must be ">=%s.0", the oldest tested line' % oldest)
        for path in glob.glob(os.path.join(ROOT, 'tests', 'sanity', 'ignore-*.txt')):
            with open(path, encoding='utf-8') as handle:
                entries = [line for line in handle if line.strip() and not line.lstrip().startswith('#')]
            if entries:
                raise StageFailed('%s has %d entries; sanity ignore files must stay empty' % (
                    os.path.relpath(path, ROOT), len(entries)))
        log('requires_ansible matches the oldest tested line (%s); no sanity ignore entries' % oldest)

    def matrix_line(self, line, version, python, always):
        names = ['sanity-' + line, 'units-' + line, 'integration-' + line]
        if not python:
            reason = 'no Python %s interpreter found (looked for %s)' % (version, _python_search_text(version))
            for name in names:
                if always and self.wanted(name):
                    self.results.append((name, 'FAIL', 0.0, reason))
                    log('FAIL %s: %s' % (name, reason))
                else:
                    self.skip(name, reason)
            return
        if not any(self.wanted(name) for name in names):
            return
        venv = self.stage('venv-core-' + line, self.venvs.ensure, 'core-' + line, python, (), True, always=True)
        if venv is None:
            for name in names:
                self.skip(name, 'its virtual environment could not be created')
            return
        install_get_pip_standin(venv)
        self.stage(names[0], self.sanity, line, version, venv)
        self.stage(names[1], self.units, line, version, venv)
        lines = self.tested_lines()
        if not self.explicit(names[2]):
            if line == lines[0][0] and self.wanted('secret-scan'):
                self.skip(names[2], 'the secret-scan stage runs every integration target with ansible-core %s' % line)
                return
            if line != lines[-1][0]:
                self.skip(names[2], 'a full run runs the integration targets with the oldest line (secret-scan) and '
                                    'the newest (integration-%s); STAGES=%s runs them here' % (lines[-1][0], names[2]))
                return
        self.stage(names[2], self.integration, line, version, venv)

    def tested_lines(self):
        """(line, python) of the lines of this run that have their Python, oldest first."""
        return [(line, python) for line, _version, python, _always in self.lines if python]

    def ansible_test(self, venv, args, log_name, collection=None, echo=True, on_line=None):
        env = clean_env(path_first=[os.path.join(venv, 'bin')])
        return run([venv_bin(venv, 'ansible-test')] + args + ['--color', 'no'],
                   cwd=collection or self.collection, env=env, log_path=self.stage_log(log_name), echo=echo,
                   on_line=on_line)

    def worker_copies(self, count):
        """One collection per worker: the run's copy, then fresh copies under <run>/workers/ (ansible-test
        writes into the collection it runs in)."""
        return [self.collection] + [copy_collection(os.path.join(self.run_dir, 'workers', str(index)))
                                    for index in range(1, count)]

    def in_workers(self, items, work, gate=None):
        """Call work(collection, item) for every item, JOBS at a time, in the order given; return {item: result}.
        With gate (a threading.Event), the workers but the first wait until work sets it."""
        pending = list(items)
        lock = threading.Lock()
        results, errors = {}, []

        def worker(collection):
            if gate is not None and collection != self.collection:
                gate.wait()
            while True:
                with lock:
                    if not pending or errors:
                        return
                    item = pending.pop(0)
                try:
                    results[item] = work(collection, item)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    errors.append(exc)
                    return

        threads = [threading.Thread(target=worker, args=(collection,))
                   for collection in self.worker_copies(max(1, min(JOBS, len(pending))))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    def sanity(self, line, version, venv):
        name = 'sanity-' + line
        base = ['sanity', '--local', '--python', version]
        parts = {'': base}
        if JOBS > 1:
            parts = {'-' + test: base + ['--test', test] for test in SANITY_APART}
            parts[''] = base + [arg for test in SANITY_APART for arg in ('--skip-test', test)]
            log('%d parts in %d workers: %s; logs: %s' % (
                len(parts), JOBS, ', '.join(' '.join(args[4:]) or 'all' for args in parts.values()),
                ', '.join(self.stage_log(name + suffix) for suffix in parts)))

        def work(collection, suffix):
            returncode, output = self.ansible_test(venv, parts[suffix], name + suffix, collection, echo=len(parts) == 1)
            if returncode != 0 and len(parts) > 1:
                log('-- %s%s exited %s; its last lines:\n%s' % (name, suffix, returncode, tail(output)))
            return returncode, output

        results = self.in_workers(sorted(parts, reverse=True), work)
        ran, skipped, failures = [], [], []
        for suffix in sorted(results):
            returncode, output = results[suffix]
            ran += re.findall(r'''^Running sanity test ["']([^"']+)["'].*$''', output, re.M)
            skipped += re.findall(r'(?im)^.*skipping sanity test.*$', output)
            if returncode != 0:
                match = re.search(r'^FATAL: The (\d+) sanity test\(s\) listed below \(out of (\d+)\) failed.*\n((?:[\w.-]+\n?)+)',
                                  output, re.M)
                failures.append(', '.join(match.group(3).split()) if match else
                                'ansible-test sanity %s exited %s' % (' '.join(parts[suffix][4:]), returncode))
        if failures:
            raise StageFailed('sanity failed: %s (see log)' % '; '.join(failures))
        if not ran:
            raise StageFailed('ansible-test sanity ran no test')
        note = '%d sanity tests run' % len(ran)
        if skipped:
            note += ', %d skipped (see log)' % len(skipped)
        return note

    def units(self, line, version, venv):
        tests = glob.glob(os.path.join(self.collection, 'tests', 'unit', '**', 'test_*.py'), recursive=True)
        if not tests:
            raise StageSkipped('no unit tests in tests/unit/')
        name = 'units-' + line
        returncode, output = self.ansible_test(
            venv, ['units', '--local', '--python', version, '--requirements'], name)
        return pytest_result('ansible-test units', returncode, output)

    def integration(self, line, version, venv):
        targets = self.integration_targets()
        if not targets:
            raise StageSkipped('no integration target in tests/integration/targets/')
        name = 'integration-' + line
        log('%d targets in %d workers, one ansible-test run each; logs: %s' % (
            len(targets), min(JOBS, len(targets)), self.stage_log(name + '.<target>')))

        # ansible-test makes its SSH key pair and installs requirements in its first run: the other workers
        # start once a first target runs (two ansible-test runs would both make the key and one would fail).
        first_ran = threading.Event()

        def work(collection, target):
            start = time.monotonic()
            try:
                returncode, output = self.ansible_test(
                    venv, ['integration', '--local', '--python', version, '--requirements', target],
                    name + '.' + target, collection, echo=False,
                    on_line=lambda line: first_ran.set() if line.startswith('Running ') else None)
            finally:
                first_ran.set()
            ran = re.search(r'Running %s integration test (?:role|script)' % re.escape(target), output)
            log('%s: %s %s in %.0f s' % (name, target, 'passed' if returncode == 0 and ran else
                                         'FAILED (exit %s)' % returncode, time.monotonic() - start))
            if returncode != 0 or not ran:
                log(tail(output))
            return returncode == 0 and bool(ran)

        passed = self.in_workers(self.target_order(targets), work, gate=first_ran)
        failed = [target for target in targets if not passed.get(target)]
        if failed:
            raise StageFailed('%d of %d targets failed: %s' % (len(failed), len(targets), ', '.join(failed)))
        return '%d targets: %s' % (len(targets), ', '.join(targets))

    def target_order(self, targets):
        """The slowest targets first (SLOW_TARGETS), then the others, largest first."""
        base = os.path.join(self.collection, 'tests', 'integration', 'targets')

        def size(target):
            return sum(os.path.getsize(os.path.join(folder, filename))
                       for folder, _dirs, filenames in os.walk(os.path.join(base, target)) for filename in filenames)
        slow = [target for target in SLOW_TARGETS if target in targets]
        return slow + sorted((t for t in targets if t not in slow), key=lambda t: (-size(t), t))

    def integration_targets(self):
        base = os.path.join(self.collection, 'tests', 'integration', 'targets')
        targets = []
        for target in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            if target.startswith(('setup_', 'prepare_')):
                continue
            aliases_path = os.path.join(base, target, 'aliases')
            aliases = []
            if os.path.exists(aliases_path):
                with open(aliases_path, encoding='utf-8') as handle:
                    aliases = [a.strip() for a in handle if a.strip()]
            if {'hidden', 'disabled', 'unsupported'} & set(aliases):
                continue
            targets.append(target)
        return targets

    # -- stages that run once, with the tools venv

    def once_stages(self):
        tools_names = ['simulator-pytest', 'ansible-lint', 'antsibull-docs-lint', 'changelog-lint',
                       'galaxy-build', 'galaxy-importer', 'ee-builder'] + [name for name, _g in HOOKS]
        if not any(self.wanted(name) for name in tools_names):
            return
        python = find_python(TOOL_PYTHON)
        if not python:
            reason = 'no Python %s interpreter found (looked for %s)' % (TOOL_PYTHON, _python_search_text(TOOL_PYTHON))
            for name in tools_names:
                if self.wanted(name):
                    self.results.append((name, 'FAIL', 0.0, reason))
            return
        extra = [p for p in [os.path.join(ROOT, 'tests', 'simulator', 'requirements.txt')] if os.path.exists(p)]
        tools = self.stage('venv-tools', self.venvs.ensure, 'tools', python, tuple(extra), always=True)
        if tools is None:
            for name in tools_names:
                self.skip(name, 'the tools virtual environment could not be created')
            return
        self.tools = tools  # pylint: disable=attribute-defined-outside-init
        self.stage('simulator-pytest', self.simulator_pytest)
        self.stage('ansible-lint', self.ansible_lint)
        self.stage('antsibull-docs-lint', self.antsibull_docs_lint)
        self.stage('changelog-lint', self.changelog_lint)
        for name, pattern in HOOKS:
            self.hook(name, pattern, python)
        needs_tarball = self.wanted('galaxy-importer') or self.wanted('ee-builder')
        self.tarball = self.stage('galaxy-build', self.galaxy_build, always=needs_tarball)
        if self.tarball:
            importer = self.stage('venv-importer', self.venvs.ensure, 'importer', python, always=True) if self.wanted('galaxy-importer') else None
            if importer:
                self.stage('galaxy-importer', self.galaxy_importer, importer)
            else:
                self.skip('galaxy-importer', 'its virtual environment could not be created')
        else:
            self.skip('galaxy-importer', 'no tarball was built')
        self.stage('ee-builder', self.ee_builder)

    def tools_env(self, extra=None):
        env = clean_env(path_first=[os.path.join(self.tools, 'bin')])
        env['ANSIBLE_COLLECTIONS_PATH'] = self.collections
        env['SCALINGO_COLLECTION_ROOT'] = self.collection
        env['SCALINGO_DEV_WORK'] = self.run_dir
        if self.tarball:
            env['SCALINGO_COLLECTION_TARBALL'] = self.tarball
        env.update(extra or {})
        return env

    def tools_run(self, cmd, what, log_name, cwd=None, extra_env=None):
        return check(cmd, what, cwd=cwd or self.collection, env=self.tools_env(extra_env),
                     log_path=self.stage_log(log_name))

    def simulator_pytest(self):
        if not os.path.isdir(os.path.join(self.collection, 'tests', 'simulator')):
            raise StageSkipped('no tests/simulator/')
        if not shutil.which('node') or not shutil.which('npm'):
            log('WARNING: node or npm is missing: the official JavaScript client check will be skipped')
        returncode, output = run(
            [venv_bin(self.tools, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'no:ansible',
             '-ra', 'tests/simulator'],
            cwd=self.collection, env=self.tools_env(), log_path=self.stage_log('simulator-pytest'))
        if returncode == 5:
            raise StageSkipped('tests/simulator/ has no test')
        return pytest_result('pytest', returncode, output)

    def ansible_lint(self):
        self.tools_run([venv_bin(self.tools, 'ansible-lint'), '--offline', '--nocolor'], 'ansible-lint', 'ansible-lint')
        return 'production profile'

    def antsibull_docs_lint(self):
        self.tools_run([venv_bin(self.tools, 'antsibull-docs'), 'lint-collection-docs', '--plugin-docs',
                        '--validate-collection-refs', 'all', '--disallow-unknown-collection-refs', '.'],
                       'antsibull-docs lint-collection-docs', 'antsibull-docs-lint')

    def changelog_lint(self):
        self.tools_run([venv_bin(self.tools, 'antsibull-changelog'), 'lint'], 'antsibull-changelog lint', 'changelog-lint')
        self.tools_run([venv_bin(self.tools, 'antsibull-changelog'), 'lint-changelog-yaml', 'changelogs/changelog.yaml'],
                       'antsibull-changelog lint-changelog-yaml', 'changelog-lint')
        fragments = [f for f in os.listdir(os.path.join(self.collection, 'changelogs', 'fragments'))
                     if f.endswith(('.yml', '.yaml'))] if os.path.isdir(os.path.join(self.collection, 'changelogs', 'fragments')) else []
        return '%d fragment(s)' % len(fragments)

    def hook(self, name, pattern, python):
        if not self.wanted(name):
            return
        found = sorted(glob.glob(os.path.join(self.collection, pattern)))
        if not found:
            self.skip(name, 'no %s in the collection' % pattern)
            return
        method = getattr(self, 'hook_' + name.replace('-', '_'))
        self.stage(name, method, found, python)

    def hook_molecule(self, scenarios, _python):
        done = []
        for scenario_file in scenarios:
            scenario_dir = os.path.dirname(scenario_file)
            role_dir = os.path.dirname(os.path.dirname(scenario_dir))
            scenario = os.path.basename(scenario_dir)
            self.tools_run([venv_bin(self.tools, 'molecule'), 'test', '-s', scenario],
                           'molecule test -s %s in %s' % (scenario, os.path.relpath(role_dir, self.collection)),
                           'molecule', cwd=role_dir)
            done.append('%s/%s' % (os.path.basename(role_dir), scenario))
        return 'scenarios: ' + ', '.join(done)

    def hook_docs_build(self, scripts, python):
        extra = [p for p in [os.path.join(ROOT, 'docs', 'requirements.txt')] if os.path.exists(p)]
        docs = self.venvs.ensure('docs', python, tuple(extra))
        env = self.tools_env()
        env['PATH'] = os.pathsep.join([os.path.join(docs, 'bin'), env['PATH']])
        return last_line(check(['bash', scripts[0]], 'docs/build.sh', cwd=os.path.dirname(scripts[0]), env=env,
                               log_path=self.stage_log('docs-build')))

    def hook_secret_scan(self, scripts, _python):
        """With the oldest line of the run (its integration-<line> stage is left to this one), else the tools environment."""
        lines = self.tested_lines()
        venv = self.venvs.ensure('core-' + lines[0][0], lines[0][1], (), True) if lines else self.tools
        log('ansible-core %s (%s)' % (lines[0][0] if lines else 'of the tools environment', venv))
        targets = ','.join(self.target_order(self.integration_targets()))
        return last_line(self.tools_run([venv_bin(venv, 'python'), scripts[0], '--targets', targets],
                                        'tests/secret_scan/run.py', 'secret-scan'))

    def hook_benchmark_smoke(self, scripts, _python):
        return last_line(self.tools_run([venv_bin(self.tools, 'python'), scripts[0], '--smoke'],
                                        'benchmarks/run.py --smoke', 'benchmark-smoke'))

    def galaxy_build(self):
        dist = os.path.join(self.run_dir, 'dist')
        shutil.rmtree(dist, ignore_errors=True)
        self.tools_run([venv_bin(self.tools, 'ansible-galaxy'), 'collection', 'build', '--output-path', dist],
                       'ansible-galaxy collection build', 'galaxy-build')
        tarballs = glob.glob(os.path.join(dist, '%s-%s-*.tar.gz' % (NAMESPACE, NAME)))
        if len(tarballs) != 1:
            raise StageFailed('expected one tarball in %s, found %d' % (dist, len(tarballs)))
        with tarfile.open(tarballs[0]) as tar:
            members = [m.name.lstrip('./') for m in tar.getmembers()]
        bad = sorted(m for m in members if any(fnmatch.fnmatch(m, p) for p in FORBIDDEN_IN_TARBALL))
        missing = [p for p in REQUIRED_IN_TARBALL if p not in members]
        if bad or missing:
            for member in bad:
                log('must not ship: %s' % member)
            for member in missing:
                log('missing: %s' % member)
            raise StageFailed('tarball content: %d path(s) that must not ship, %d missing' % (len(bad), len(missing)))
        log('%s: %d members, none forbidden' % (os.path.basename(tarballs[0]), len(members)))
        return tarballs[0]

    def galaxy_importer(self, importer):
        config = os.path.join(self.run_dir, 'galaxy-importer.cfg')
        with open(config, 'w', encoding='utf-8') as handle:
            handle.write('[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\n'
                         'CHECK_REQUIRED_TAGS = False\n')
        env = clean_env(path_first=[os.path.join(importer, 'bin')], extra={'GALAXY_IMPORTER_CONFIG': config})
        output = check([venv_bin(importer, 'python'), '-m', 'galaxy_importer.main', self.tarball],
                       'galaxy-importer', cwd=self.run_dir, env=env, log_path=self.stage_log('galaxy-importer'))
        errors = [line for line in output.splitlines() if re.match(r'^\s*(ERROR|CRITICAL)\b', line)]
        if errors:
            raise StageFailed('galaxy-importer reported %d error(s)' % len(errors))
        warnings = [line for line in output.splitlines() if re.match(r'^\s*WARNING\b', line)]
        return '%d warning(s)' % len(warnings) if warnings else 'no warnings'

    def ee_builder(self):
        """Execution environment: what ansible-builder reads from the built collection, and a build context."""
        if not self.tarball:
            raise StageSkipped('no tarball was built')
        ee_dir = os.path.join(self.run_dir, 'ee')
        shutil.rmtree(ee_dir, ignore_errors=True)
        installed = os.path.join(ee_dir, 'installed')
        # 1. The installed tarball, as ansible-builder sees it inside a build: meta/execution-environment.yml
        #    must bring in the Python requirements of meta/ee-requirements.txt.
        self.tools_run([venv_bin(self.tools, 'ansible-galaxy'), 'collection', 'install', '--offline', '--force',
                        '-p', installed, self.tarball], 'ansible-galaxy collection install', 'ee-builder',
                       cwd=self.run_dir, extra_env={'ANSIBLE_COLLECTIONS_PATH': installed})
        output = self.tools_run([venv_bin(self.tools, 'ansible-builder'), 'introspect', '--sanitize', installed],
                                'ansible-builder introspect', 'ee-builder', cwd=self.run_dir)
        with open(os.path.join(ROOT, 'meta', 'ee-requirements.txt'), encoding='utf-8') as handle:
            wanted = [re.split(r'[<>=!~;\s\[]', line.strip())[0].lower() for line in handle
                      if line.strip() and not line.startswith('#')]
        found = re.findall(r"^- '?([A-Za-z0-9_.-]+).*# from collection %s" % re.escape(FQCN), output, re.M)
        missing = sorted(set(wanted) - set(name.lower() for name in found))
        if missing:
            raise StageFailed('ansible-builder does not see %s from meta/execution-environment.yml' % ', '.join(missing))
        # 2. An execution environment definition (version 3) that installs this collection: create
        #    writes its build context (building the image needs a container engine, not used here).
        definition = os.path.join(ee_dir, 'execution-environment.yml')
        tarball_name = os.path.basename(self.tarball)
        with open(definition, 'w', encoding='utf-8') as handle:
            handle.write(EE_DEFINITION.format(tarball=self.tarball, tarball_name=tarball_name))
        context = os.path.join(ee_dir, 'context')
        self.tools_run([venv_bin(self.tools, 'ansible-builder'), 'create', '-f', definition, '-c', context,
                        '--output-filename', 'Containerfile'], 'ansible-builder create', 'ee-builder', cwd=ee_dir)
        expected = [os.path.join(context, 'Containerfile'),
                    os.path.join(context, '_build', 'requirements.yml'),
                    os.path.join(context, '_build', 'collections', tarball_name)]
        absent = [os.path.relpath(p, ee_dir) for p in expected if not os.path.exists(p)]
        if absent:
            raise StageFailed('the build context lacks %s' % ', '.join(absent))
        return 'introspect: %s; build context written' % ', '.join(sorted(set(found)))

    # -- summary

    def summary(self, total):
        log('')
        log('=' * 100)
        log('Summary (work folder %s)' % self.run_dir)
        width = max([len(name) for name, _s, _t, _n in self.results] + [5])
        log('%-*s  %-7s  %8s  %s' % (width, 'stage', 'result', 'seconds', 'details'))
        for name, status, seconds, note in self.results:
            log('%-*s  %-7s  %8.1f  %s' % (width, name, status, seconds, note))
        passed = sum(1 for r in self.results if r[1] == 'PASS')
        failed = sum(1 for r in self.results if r[1] == 'FAIL')
        skipped = sum(1 for r in self.results if r[1] == 'SKIPPED')
        log('Total: %.0f s; %d stage(s) skipped' % (total, skipped))
        if not failed and not self.keep:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            log('Work folder removed (KEEP_WORK=1 keeps it)')
        else:
            log('Logs: %s' % self.logs)
        result = '%d passed, %d failed' % (passed, failed)
        with contextlib.suppress(OSError):
            with open(os.path.join(self.home, 'last-result'), 'w', encoding='utf-8') as handle:
                handle.write(result + '\n')
        log(result)
        if not self.results:
            return 2
        return 1 if failed else 0


# ---------------------------------------------------------------------------------------------
# Demo


def python_for_venv(name):
    """Python version of a venv defined in hacking/requirements/."""
    for line, version, _always in MATRIX:
        if name == 'core-' + line:
            return version
    return TOOL_PYTHON


def start_simulator(python, log_path, extra_args=(), timeout=60):
    """Start the bundled simulator on a free port; return (process, url)."""
    env = clean_env(extra={'PYTHONDONTWRITEBYTECODE': '1', 'PYTHONUNBUFFERED': '1'})
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [python, '-m', 'simulator', '--port', '0'] + list(extra_args), cwd=ROOT, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    found = {}
    ready = threading.Event()

    def pump():
        with open(log_path, 'w', encoding='utf-8') as handle:
            for raw in proc.stdout:
                line = raw.decode('utf-8', 'replace')
                handle.write(line)
                handle.flush()
                match = LISTENING_RE.search(line)
                if match and not ready.is_set():
                    found['url'] = match.group(1)
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(timeout)
    if 'url' not in found:
        stop_process(proc)
        raise SystemExit('The simulator did not start (see %s)' % log_path)
    return proc, found['url']


def stop_process(proc, grace=10):
    """Stop a process this harness started, by its pid."""
    if proc.poll() is not None:
        return proc.returncode
    proc.terminate()
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def demo(playbook):
    home = dev_home()
    python = None
    for version in DEMO_PYTHONS:
        python = find_python(version)
        if python:
            break
    if not python:
        raise SystemExit('make demo needs Python %s (looked for %s)' % (
            ' or '.join(DEMO_PYTHONS), ', '.join(_python_search_text(v) for v in DEMO_PYTHONS)))
    venvs = Venvs(home)
    try:
        venv = venvs.ensure('demo', python)
    except StageFailed as exc:
        raise SystemExit('Could not create the demo virtual environment: %s' % exc) from exc
    demo_dir = os.path.join(home, 'demo')
    # The collection is importable through a collections path holding a link to the checkout,
    # so that edits show at once.
    namespace_dir = os.path.join(demo_dir, 'collections', 'ansible_collections', NAMESPACE)
    os.makedirs(namespace_dir, exist_ok=True)
    link = os.path.join(namespace_dir, NAME)
    if os.path.islink(link) or os.path.exists(link):
        if os.path.islink(link):
            os.unlink(link)
        else:
            shutil.rmtree(link)
    os.symlink(ROOT, link)
    sim_log = os.path.join(demo_dir, 'simulator.log')
    log('Starting the simulator (log: %s)' % sim_log)
    proc, url = start_simulator(venv_bin(venv, 'python'), sim_log)
    log('Scalingo API simulator listening on %s (pid %d)' % (url, proc.pid))
    try:
        env = clean_env(path_first=[os.path.join(venv, 'bin')], extra={
            'ANSIBLE_COLLECTIONS_PATH': os.path.join(demo_dir, 'collections'),
            'SCALINGO_API_URL': url,
            'SCALINGO_AUTH_URL': url,
            'SCALINGO_API_TOKEN': SIMULATOR_TOKEN,
            'SCALINGO_CACHE_DIR': os.path.join(demo_dir, 'bearer-cache'),
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        })
        returncode, _output = run([venv_bin(venv, 'ansible-playbook'), playbook], cwd=ROOT, env=env, timeout=1800)
    finally:
        code = stop_process(proc)
        log('Simulator stopped (pid %d, exit status %s)' % (proc.pid, code))
        venvs.close()
    log('The demo environment has ansible-core and this collection; to read the module documentation:')
    log('  ANSIBLE_COLLECTIONS_PATH=%s %s scalingo.cloud.scalingo_app' % (
        os.path.join(demo_dir, 'collections'), venv_bin(venv, 'ansible-doc')))
    return returncode


# ---------------------------------------------------------------------------------------------
# Lock files


def lock(names):
    """Regenerate hacking/requirements/<name>.txt from <name>.in (exact versions, all deps)."""
    if not names:
        names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REQUIREMENTS, '*.in')))
    status = 0
    for name in names:
        version = python_for_venv(name)
        python = find_python(version)
        if not python:
            log('%s: no Python %s found (%s), not locked' % (name, version, _python_search_text(version)))
            status = 1
            continue
        with tempfile.TemporaryDirectory(prefix='scalingo-lock-') as tmp:
            venv = os.path.join(tmp, 'venv')
            env = clean_env()
            check([python, '-m', 'venv', venv], 'python -m venv', env=env)
            vpython = os.path.join(venv, 'bin', 'python')
            check([vpython, '-m', 'pip', 'install', '--quiet', '-r', os.path.join(REQUIREMENTS, name + '.in')],
                  'pip install', env=env)
            frozen = subprocess.run([vpython, '-m', 'pip', 'freeze'], capture_output=True, text=True,
                                    check=True, env=env).stdout
        with open(os.path.join(REQUIREMENTS, name + '.txt'), 'w', encoding='utf-8') as handle:
            handle.write('# Generated by `make lock` from %s.in with Python %s; do not edit by hand.\n' % (name, version))
            handle.write(frozen)
        log('%s: %d packages pinned' % (name, len(frozen.splitlines())))
    return status


# ---------------------------------------------------------------------------------------------
# Entry point


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    test = sub.add_parser('test', help='run every test (make test)')
    test.add_argument('--matrix', default=os.environ.get('MATRIX', ''),
                      help='ansible-core lines to test, e.g. "2.19" or "2.16,2.19" (default: all)')
    test.add_argument('--stages', default=os.environ.get('STAGES', ''),
                      help='only these stages (names or shell patterns, comma separated)')
    test.add_argument('--keep', action='store_true', default=os.environ.get('KEEP_WORK', '') not in ('', '0'),
                      help='keep the work folder after a successful run')
    demo_parser = sub.add_parser('demo', help='run the demo playbook against the simulator (make demo)')
    demo_parser.add_argument('--playbook', default=os.path.join('examples', 'demo.yml'))
    lock_parser = sub.add_parser('lock', help='regenerate the pinned requirements (make lock)')
    lock_parser.add_argument('names', nargs='*')
    sub.add_parser('clean', help='remove $SCALINGO_DEV_HOME (venvs and work folders)')
    sub.add_parser('matrix', help='print the ansible-core lines and the Pythons found')
    args = parser.parse_args(argv)

    if args.command == 'test':
        stages = [s for s in re.split(r'[\s,]+', args.stages.strip()) if s]
        return Harness(args.matrix, stages, args.keep).run()
    if args.command == 'demo':
        return demo(args.playbook)
    if args.command == 'lock':
        return lock(args.names)
    if args.command == 'clean':
        home = dev_home()
        shutil.rmtree(home, ignore_errors=True)
        log('Removed %s' % home)
        return 0
    for line, version, always in MATRIX:
        python = find_python(version)
        log('ansible-core %s: Python %s %s%s' % (
            line, version, python or 'NOT FOUND (%s)' % _python_search_text(version), '' if always else ' (optional line)'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
