# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret scan: run every integration target with -vvvv and look for the API token, the bearers and a TLS key.

1. A distinctive API token is made up for this run. Every simulator the targets start (through
   setup_simulator) is wrapped (simulator_wrapper.py) so that it accepts that token and, when it is
   stopped, hands over every bearer it issued and every addon credential it generated (the passwords
   in the addons' SCALINGO_*_URL variables, addon tokens).
2. Each integration target runs with ansible-playbook -vvvv (role targets as ansible-test runs them,
   runme.sh targets with their own inventory), its output captured, every task result written to a
   JSON lines file by the secret_scan_results callback, the bearer cache and Ansible's temporary
   folders inside the work folder.
3. Every file of the work folder (outputs, results, Ansible's log, the simulators' request logs and
   logs, the targets' output folders, the bearer caches) and every file the runs wrote into the
   collection is searched for the token and for each bearer, raw and as the base64 of a basic
   Authorization (":" + secret). Bearers may appear only in bearer cache files, which must be mode
   0600 in a 0700 folder; the token and the addon credentials may appear nowhere. A secret environment value,
   made up for the run too, is given to the targets as scalingo_env_secret (the scalingo_env and
   scalingo_one_off targets put it in secret_env) and may appear nowhere either (results, diffs, -vvvv output,
   the simulators' request logs).
4. A TLS private key is made for this run in the private folder and handed to the targets
   (variable scalingo_test_tls_key_file; the scalingo_domain target signs its test certificates with it
   and gives it to the module's tls_key): each base64 line of it is searched for, and may appear nowhere.

Before searching, the scan plants each kind of secret in a canary file and checks that it finds it.
Exit status: 0 when nothing was found, 1 when a secret was found or a target failed, 2 on misuse.
Run by the nox session secret-scan (with the oldest ansible-core line); by hand:

    python tests/secret_scan/run.py [--targets a,b] [--work DIR] [--keep]

The collection must sit in .../ansible_collections/scalingo/cloud (nox -s secret-scan copies it there).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import re
import secrets
import shutil
import stat
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get('SCALINGO_COLLECTION_ROOT') or os.path.dirname(os.path.dirname(HERE))
TARGETS = os.path.join(ROOT, 'tests', 'integration', 'targets')
CACHE_FILE_RE = re.compile(r'^[0-9a-f]{64}\.json$')
SKIPPED_ALIASES = {'hidden', 'disabled', 'unsupported'}
TARGET_TIMEOUT = int(os.environ.get('SECRET_SCAN_TARGET_TIMEOUT', '900'))
# Targets run this many at a time (each spends most of its time in Python on the controller: one core each).
JOBS = max(1, int(os.environ.get('SECRET_SCAN_JOBS') or min(2, os.cpu_count() or 1)))


def log(msg=''):
    sys.stdout.write(msg + '\n')  # one write: workers log from threads
    sys.stdout.flush()


def make_token():
    """A token shaped like a real one (tk-us- and 48 letters and digits), made up for this run only."""
    alphabet = string.ascii_letters + string.digits
    return 'tk-us-' + ''.join(secrets.choice(alphabet) for dummy in range(48))


def make_env_secret():
    """A secret environment value made up for this run only (given to the targets as scalingo_env_secret)."""
    alphabet = string.ascii_letters + string.digits
    return 'sv-' + ''.join(secrets.choice(alphabet) for dummy in range(40))


def make_tls_key(path):
    """A TLS private key (EC P-256, PEM), made for this run only, mode 0600."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(path, 0o600)
        return
    data = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)


def tls_key_lines(path):
    """The base64 lines of a PEM key (what would show a leaked key, raw or inside JSON)."""
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding='ascii') as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith('-----')]


def jsonl_values(path, key):
    """The set of the non-empty values of ``key`` in a JSON lines file (empty when the file is missing)."""
    values = set()
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                value = json.loads(line).get(key)
                if value:
                    values.add(value)
    return values


def collections_path():
    """The folder holding ansible_collections/scalingo/cloud."""
    parts = os.path.realpath(ROOT).split(os.sep)
    if parts[-3:-2] != ['ansible_collections']:
        raise SystemExit('%s is not in .../ansible_collections/<namespace>/<name>; copy the collection '
                         'there first (nox -s secret-scan does)' % ROOT)
    return os.sep.join(parts[:-3])


def list_targets(wanted):
    targets = []
    for name in sorted(os.listdir(TARGETS)):
        path = os.path.join(TARGETS, name)
        if name.startswith(('setup_', 'prepare_')) or not os.path.isdir(path):
            continue
        aliases = []
        if os.path.exists(os.path.join(path, 'aliases')):
            with open(os.path.join(path, 'aliases'), encoding='utf-8') as handle:
                aliases = [line.strip() for line in handle if line.strip()]
        if SKIPPED_ALIASES & set(aliases):
            continue
        if wanted and name not in wanted:
            continue
        targets.append((name, path, aliases))
    unknown = set(wanted or ()) - set(t[0] for t in targets)
    if unknown:
        raise SystemExit('unknown or disabled target(s): %s' % ', '.join(sorted(unknown)))
    if wanted:  # in the order given
        targets.sort(key=lambda target: wanted.index(target[0]))
    return targets


class Scan:
    def __init__(self, work, targets):
        self.work = work
        self.targets = targets
        self.private = os.path.join(work, 'private')         # what knows the secrets: never searched
        self.logs = os.path.join(work, 'logs')
        self.results = os.path.join(work, 'results')          # one JSON lines file per target
        self.token = make_token()
        self.env_secret = make_env_secret()
        self.bearers_file = os.path.join(self.private, 'bearers.jsonl')
        self.addon_secrets_file = os.path.join(self.private, 'addon-secrets.jsonl')
        self.vars_file = os.path.join(self.private, 'vars.json')
        self.tls_key_file = None
        self.started = time.time()
        self.failed_targets = []

    # -- set-up

    def prepare(self):
        for folder in (self.private, self.logs, self.results):
            os.makedirs(folder, mode=0o700, exist_ok=True)
        simroot = os.path.join(self.work, 'simroot', 'simulator')
        os.makedirs(simroot, exist_ok=True)
        shutil.copy(os.path.join(HERE, 'simulator_wrapper.py'), os.path.join(simroot, '__main__.py'))
        with open(os.path.join(simroot, '__init__.py'), 'w', encoding='utf-8') as handle:
            handle.write('"""Simulator stand-in of the secret scan."""\n')
        self.write_private('wrapper.json', {'root': ROOT, 'token': self.token, 'bearers_file': self.bearers_file,
                                            'addon_secrets_file': self.addon_secrets_file})
        self.tls_key_file = os.path.join(self.private, 'tls.key')
        make_tls_key(self.tls_key_file)
        self.write_private('vars.json', {'simulator_token': self.token, 'scalingo_env_secret': self.env_secret,
                                         'simulator_root': os.path.join(self.work, 'simroot'),
                                         'scalingo_test_tls_key_file': self.tls_key_file})
        with open(os.path.join(self.work, 'inventory'), 'w', encoding='utf-8') as handle:
            handle.write('testhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)

    def write_private(self, name, data):
        fd = os.open(os.path.join(self.private, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump(data, handle)

    def env(self, target, output_dir):
        env = dict(os.environ)
        for key in ('SCALINGO_API_TOKEN', 'SCALINGO_API_URL', 'SCALINGO_AUTH_URL', 'SCALINGO_REGION', 'ANSIBLE_CONFIG'):
            env.pop(key, None)
        bin_dir = os.path.dirname(sys.executable)
        env.update({
            'PATH': os.pathsep.join([bin_dir, env.get('PATH', '')]),
            'ANSIBLE_COLLECTIONS_PATH': collections_path(),
            'ANSIBLE_ROLES_PATH': TARGETS,
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
            'ANSIBLE_CALLBACKS_ENABLED': 'secret_scan_results',
            'ANSIBLE_LOG_PATH': os.path.join(self.logs, 'ansible-%s.log' % target),
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.work, 'ansible-tmp', 'local'),
            'ANSIBLE_REMOTE_TEMP': os.path.join(self.work, 'ansible-tmp', 'remote'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_HOST_PATTERN_MISMATCH': 'error',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'SECRET_SCAN_RESULTS': os.path.join(self.results, target + '.jsonl'),
            'SCALINGO_CACHE_DIR': os.path.join(self.work, 'bearer-cache', target),
            'XDG_CACHE_HOME': os.path.join(self.work, 'xdg-cache'),
            'OUTPUT_DIR': output_dir,
            'INVENTORY_PATH': os.path.join(self.work, 'inventory'),
            'PYTHONDONTWRITEBYTECODE': '1',
        })
        return env

    # -- runs

    def run_targets(self):
        """Run the targets JOBS at a time, in the order given (each has its own log, results and output files)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            list(pool.map(lambda target: self.run_target(*target), self.targets))

    def run_target(self, name, path, aliases):
        output_dir = os.path.join(self.work, 'output', name)
        os.makedirs(output_dir, exist_ok=True)
        env = self.env(name, output_dir)
        if os.path.exists(os.path.join(path, 'runme.sh')):
            cmd = ['./runme.sh', '-vvvv', '-e', '@' + self.vars_file]
            cwd = path
        else:
            playbook = os.path.join(self.work, 'playbooks', name + '.yml')
            os.makedirs(os.path.dirname(playbook), exist_ok=True)
            with open(playbook, 'w', encoding='utf-8') as handle:
                json.dump([{'hosts': 'testhost', 'gather_facts': 'gather_facts/no' not in aliases,
                            'vars': {'output_dir': output_dir}, 'roles': [name]}], handle, indent=2)
            cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), playbook,
                   '-i', os.path.join(self.work, 'inventory'), '-vvvv', '-e', '@' + self.vars_file]
            cwd = self.work
        start = time.monotonic()
        with open(os.path.join(self.logs, name + '.log'), 'wb') as out:
            try:
                code = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, timeout=TARGET_TIMEOUT, check=False).returncode
            except subprocess.TimeoutExpired:
                code = 'timeout'
        outcome = 'passed' if code == 0 else 'FAILED (%s)' % code
        log('== %s: %s\n   %s in %.0f s' % (name, ' '.join(cmd), outcome, time.monotonic() - start))
        if code != 0:
            self.failed_targets.append(name)

    # -- secrets

    def secrets(self):
        """(kind, value) of every secret to look for: the token, each bearer, and their basic-auth forms."""
        bearers = jsonl_values(self.bearers_file, 'bearer')
        for path in self.files():
            if CACHE_FILE_RE.match(os.path.basename(path)):
                try:
                    with open(path, encoding='utf-8') as handle:
                        bearer = json.load(handle).get('bearer')
                except (OSError, ValueError, AttributeError):
                    continue
                if isinstance(bearer, str) and bearer.count('.') == 2:
                    bearers.add(bearer)
        found = [('API token', self.token)]
        found += [('bearer', b) for b in sorted(bearers)]
        found += [('basic auth of the %s' % kind, base64.b64encode((':' + value).encode()).decode())
                  for kind, value in list(found)]
        found.append(('secret environment value', self.env_secret))
        found += [('addon credential', value) for value in self.addon_secrets()]
        found += [('TLS key', line) for line in tls_key_lines(self.tls_key_file)]
        return found, len(bearers)

    def addon_secrets(self):
        """The credentials the simulators generated for addons (saved by the wrapper when they stopped)."""
        return sorted(jsonl_values(self.addon_secrets_file, 'secret'))

    def files(self):
        """Every file to search: the work folder (but the private folder) and what the runs wrote in the collection."""
        for top, since in ((self.work, None), (ROOT, self.started)):
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in (self.private, os.path.join(ROOT, '.git'))]
                for filename in filenames:
                    path = os.path.join(dirpath, filename)
                    try:
                        info = os.lstat(path)
                    except OSError:
                        continue
                    if not stat.S_ISREG(info.st_mode) or (since is not None and info.st_mtime < since):
                        continue
                    if top == ROOT and path.startswith(self.work + os.sep):
                        continue
                    yield path

    @staticmethod
    def allowed(path, kind):
        """Bearers may sit in the bearer cache files only; the token nowhere."""
        return kind == 'bearer' and CACHE_FILE_RE.match(os.path.basename(path)) is not None

    def search(self, found_secrets):
        """Occurrences (path, line number, kind) of the secrets, and the cache files checked."""
        hits, cache_files, problems = [], 0, []
        needles = [(kind, value.encode()) for kind, value in found_secrets]
        for path in self.files():
            try:
                with open(path, 'rb') as handle:
                    data = handle.read()
            except OSError as exc:
                problems.append('%s: unreadable (%s)' % (path, exc))
                continue
            for kind, needle in needles:
                if needle not in data:
                    continue
                if self.allowed(path, kind):
                    continue
                for number, line in enumerate(data.splitlines(), 1):
                    if needle in line:
                        hits.append((path, number, kind))
            if CACHE_FILE_RE.match(os.path.basename(path)):
                cache_files += 1
                mode = stat.S_IMODE(os.stat(path).st_mode)
                folder = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
                if mode != 0o600 or folder != 0o700:
                    problems.append('%s: bearer cache file mode %04o in a folder of mode %04o (expected 0600 in 0700)'
                                    % (path, mode, folder))
        return hits, cache_files, problems

    def self_check(self, found_secrets):
        """Plant each kind of secret in a canary file and check that the search finds it."""
        canary = os.path.join(self.work, 'canary.txt')
        kinds = {}
        for kind, value in found_secrets:
            kinds.setdefault(kind.split(' of the ')[-1], (kind, value))
        try:
            for kind, value in kinds.values():
                with open(canary, 'w', encoding='utf-8') as handle:
                    handle.write('before\nsomething %s something\nafter\n' % value)
                hits, _count, _problems = self.search([(kind, value)])
                if (canary, 2, kind) not in hits:
                    raise SystemExit('self-check failed: a planted %s was not found' % kind)
        finally:
            if os.path.exists(canary):
                os.unlink(canary)
        return sorted(kinds)

    def report(self, hits, problems):
        """Print where the secrets were found (never the secrets): per file and kind, the lines and the task."""
        places = {}
        for path, number, kind in sorted(set(hits)):
            places.setdefault((path, kind), []).append(number)
        for (path, kind), numbers in sorted(places.items()):
            where = os.path.relpath(path, self.work) if path.startswith(self.work + os.sep) else path
            shown = ', '.join(str(n) for n in numbers[:5]) + (', ...' if len(numbers) > 5 else '')
            log('LEAK: %s in %s, %d line(s): %s%s' % (kind, where, len(numbers), shown, self.task_at(path, numbers[0])))
        for problem in problems:
            log('PROBLEM: %s' % problem)

    @staticmethod
    def task_at(path, number):
        """' (first in TASK [...])' for a line of an Ansible output, from the last task header above it."""
        try:
            with open(path, 'rb') as handle:
                lines = handle.read().splitlines()[:number]
        except OSError:
            return ''
        for line in reversed(lines):
            match = re.search(rb'(?:^|\| )TASK \[(.*?)\]', line)
            if match:
                return ' (first in TASK [%s])' % match.group(1).decode('utf-8', 'replace')
            if line.startswith(b'{') and b'"task": ' in line:   # results/<target>.jsonl
                try:
                    return ' (first in TASK [%s])' % json.loads(line)['task']
                except (ValueError, KeyError):
                    return ''
        return ''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--targets', default='', help='comma-separated targets, run in that order (default: every '
                                                      'integration target, in alphabetical order)')
    parser.add_argument('--work', help='work folder (default: $SCALINGO_DEV_WORK/secret-scan, else a temporary folder)')
    parser.add_argument('--keep', action='store_true', help='keep the work folder after a clean scan (it is kept after a failed one)')
    args = parser.parse_args(argv)
    wanted = [t for t in re.split(r'[\s,]+', args.targets) if t]
    targets = list_targets(wanted)
    if not targets:
        log('no integration target to run')
        return 2
    if args.work:
        work = os.path.abspath(args.work)
    elif os.environ.get('SCALINGO_DEV_WORK'):
        work = os.path.join(os.environ['SCALINGO_DEV_WORK'], 'secret-scan')
    else:
        work = tempfile.mkdtemp(prefix='scalingo-secret-scan-')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    scan = Scan(work, targets)
    failed = True
    try:
        scan.prepare()
        log('Secret scan of %d target(s) with -vvvv; work folder %s' % (len(targets), work))
        scan.run_targets()
        found_secrets, bearer_count = scan.secrets()
        checked = scan.self_check(found_secrets)
        hits, cache_files, problems = scan.search(found_secrets)
        files = sum(1 for dummy in scan.files())
        scan.report(hits, problems)
        if bearer_count == 0:
            problems.append('no bearer was collected: the scan would prove nothing about bearers')
            log('PROBLEM: %s' % problems[-1])
        log('Searched %d files for the API token, %d bearer(s) (raw and as basic auth), the secret environment '
            'value, %d addon credential(s) and the TLS key (self-check: %s); %d bearer cache file(s) checked'
            % (files, bearer_count, len(scan.addon_secrets()), ', '.join(checked), cache_files))
        if scan.failed_targets:
            log('Failed target(s): %s (see %s)' % (', '.join(scan.failed_targets), scan.logs))
        if hits or problems or scan.failed_targets:
            log('Secret scan FAILED: %d occurrence(s), %d problem(s), %d failed target(s)'
                % (len(hits), len(problems), len(scan.failed_targets)))
            return 1
        log('Secret scan passed: 0 occurrences of the token, of the secret environment value, of any addon '
            'credential, of the TLS key, or of any bearer outside the 0600 cache files')
        failed = False
        return 0
    finally:
        if args.keep or failed:
            log('Work folder kept: %s (it holds the made-up token and the bearers of this run)' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
