# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test sessions of the scalingo.cloud collection.

``nox -l`` lists them, ``nox -s NAME`` runs one, ``nox`` runs the default list (what CI runs; ``make test``
runs the same list in two lanes at once). antsibull-nox (configuration in ``antsibull-nox.toml``) brings
extra-checks, docs-check, build-import-check, ansible-lint and the Docker-based ansible-test sessions;
this file adds the ansible-test matrix that runs without Docker (``--venv``, ansible-core from PyPI) and
the project's own sessions. docs/developing.md, section "Test sessions", describes each session.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nox

try:
    import antsibull_nox
    from antsibull_nox.ansible import parse_ansible_core_version
    from antsibull_nox.sessions.collections import prepare_collections
except ImportError:
    print('nox and antsibull-nox are not installed: pip install -r hacking/requirements/nox.txt', file=sys.stderr)
    raise

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / 'tests'))
import simulator_process  # noqa: E402 pylint: disable=wrong-import-position
REQUIREMENTS = ROOT / 'hacking' / 'requirements'
NAMESPACE, NAME = 'scalingo', 'cloud'

# The ansible-core lines tested without Docker, each with the Python of its sanity, unit and integration
# tests. The first line is the oldest supported one (requires_ansible in meta/runtime.yml).
LINES = {'2.16': '3.11', '2.19': '3.11', '2.21': '3.13'}
OLDEST, NEWEST = min(LINES, key=parse_ansible_core_version), max(LINES, key=parse_ansible_core_version)
# The Pythons the modules support (tests/config.yml): compile and import sanity run on each one found.
MODULE_PYTHONS = ('3.9', '3.10', '3.11', '3.12', '3.13')
# The Python of the sessions that are not a matrix line.
TOOL_PYTHON = '3.11'
SIMULATOR_TOKEN = 'tk-us-simulator-default-token'

# Paths that must never be in the Galaxy tarball (fnmatch patterns on member names), and paths it must have.
FORBIDDEN_IN_TARBALL = (
    'simulator', 'simulator/*', 'tests/simulator', 'tests/simulator/*', 'tests/output', 'tests/output/*',
    '*__pycache__*', '*.pyc', '.pytest_cache*', '*/.pytest_cache*', '.ansible', '.ansible/*', '*/.ansible/*',
    '.git', '.git/*', '.github', '.github/*', '.nox', '.nox/*', 'collections', 'collections/*',
    '*node_modules*', '*.tar.gz', '.ci', '.ci/*', 'hacking', 'hacking/*', 'benchmarks', 'benchmarks/*',
    'noxfile.py', 'antsibull-nox.toml', 'changelogs/.plugin-cache.yaml', 'tests/integration/inventory',
    'docs/build', 'docs/build/*',
)
REQUIRED_IN_TARBALL = ('MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml',
                       'meta/execution-environment.yml', 'meta/ee-requirements.txt')

nox.options.download_python = 'never'
nox.options.error_on_missing_interpreters = False
nox.options.reuse_venv = 'yes'
nox.options.default_venv_backend = 'uv|venv'
# uv reads neither pip's configuration nor its certificate settings: let it trust the system's certificate
# store, as pip does here (a proxy's own certificate authority lives there).
os.environ.setdefault('UV_SYSTEM_CERTS', '1')


# ---------------------------------------------------------------------------------------------
# Pythons: pyenv builds are not on PATH until selected; link the ones found into a folder on PATH so that
# nox and ansible-test (--python X.Y) find them by name.

def _works(python):
    try:
        return subprocess.run([python, '-c', 'import venv'], capture_output=True, timeout=30, check=False).returncode == 0
    except OSError:
        return False


def _find_python(version):
    on_path = shutil.which('python' + version)
    if on_path and '/shims/' not in on_path and _works(on_path):
        return on_path
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    builds = sorted(glob.glob(os.path.join(root, 'versions', version + '.*', 'bin', 'python' + version)),
                    key=lambda path: [int(part) for part in re.findall(r'\d+', path.split('/versions/')[1].split('/')[0])])
    return next((path for path in reversed(builds) if _works(path)), None)


def _link_pythons():
    folder = ROOT / '.nox' / '.pythons'
    folder.mkdir(parents=True, exist_ok=True)
    found = {}
    for version in sorted(set(MODULE_PYTHONS) | set(LINES.values()) | {TOOL_PYTHON}):
        link = folder / ('python' + version)
        python = os.path.realpath(link) if link.is_symlink() and _works(str(link)) else _find_python(version)
        if python and os.path.realpath(python) != os.path.realpath(link):
            fresh = folder / ('.python%s.%d' % (version, os.getpid()))  # two nox processes may start together
            fresh.symlink_to(python)
            os.replace(fresh, link)
        found[version] = python
    # pyenv's shims of the versions not selected exit 127: ansible-test, looking for every python3.X, would stop
    # there. The links above stand for them.
    path = [entry for entry in os.environ.get('PATH', '').split(os.pathsep) if entry and not entry.endswith('/shims')]
    os.environ['PATH'] = os.pathsep.join([str(folder)] + path)
    return found


PYTHONS = _link_pythons()


# ---------------------------------------------------------------------------------------------
# The ansible-test matrix without Docker: antsibull-nox's session API, --venv, ansible-core from PyPI.

def _install_get_pip_standin():
    """ansible-test bootstraps pip in its venvs with a get-pip.py it downloads, unless it finds one in its
    cache: put hacking/get_pip_standin.py (ensurepip, then pip) there for every ansible-test installed."""
    cache = Path.home() / '.ansible' / 'test' / 'cache'
    standin = (ROOT / 'hacking' / 'get_pip_standin.py').read_text(encoding='utf-8')
    pattern = str(ROOT / '.nox' / '*' / 'lib' / 'python*' / 'site-packages' / 'ansible_test' / '_internal' /
                  'python_requirements.py')
    for source in glob.glob(pattern):
        match = re.search(r"default_packages\s*=\s*dict\(\s*pip='([^']+)'", Path(source).read_text(encoding='utf-8'))
        target = cache / ('get_pip_%s.py' % match.group(1).replace('.', '_')) if match else None
        if target and not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            fresh = target.with_name('%s.%d' % (target.name, os.getpid()))
            fresh.write_text(standin, encoding='utf-8')
            os.replace(fresh, target)


def _drop_output_tmp():
    """antsibull-nox copies tests/output back into the checkout: leave out ansible-test's scratch folder."""
    shutil.rmtree(Path('tests', 'output', '.tmp'), ignore_errors=True)


def _ansible_test(name, line, params, description, default=True):
    antsibull_nox.add_ansible_test_session(
        name=name, description=description, default=default, ansible_core_version=line,
        ansible_core_source='pypi', ansible_test_params=params + ['--color', 'no'],
        callback_before=_install_get_pip_standin, callback_after=_drop_output_tmp)


for _line, _python in LINES.items():
    _ansible_test('sanity-' + _line, _line, ['sanity', '--venv', '--python', _python],
                  'ansible-test sanity, ansible-core %s, Python %s' % (_line, _python))
    _ansible_test('units-' + _line, _line, ['units', '--venv', '--python', _python, '--requirements'],
                  'ansible-test units, ansible-core %s, Python %s' % (_line, _python))
    # A full run runs the integration targets with the oldest line (inside secret-scan, with -vvvv) and the
    # newest; nox -s integration-<line> runs any line; nox -s integration-<line> -- <target> runs one target.
    _ansible_test('integration-' + _line, _line, ['integration', '--venv', '--python', _python, '--requirements'],
                  'ansible-test integration against the bundled simulator, ansible-core %s, Python %s' % (_line, _python),
                  default=_line == NEWEST)
    # Without --python, ansible-test runs these two tests on every Python of the line that it finds on PATH,
    # and names the ones it does not find.
    _ansible_test('compile-import-' + _line, _line, ['sanity', '--venv', '--test', 'compile', '--test', 'import'],
                  'ansible-test sanity compile and import on every Python found that ansible-core %s and '
                  'tests/config.yml allow' % _line)

# extra-checks, docs-check, build-import-check, ansible-lint and the Docker-based ansible-test sessions.
antsibull_nox.load_antsibull_nox_toml()


# ---------------------------------------------------------------------------------------------
# Project sessions

def _install(session, name, *packages):
    """hacking/requirements/<name>.txt, or only these packages of it (and their dependencies, as pinned there)."""
    pins = str(REQUIREMENTS / (name + '.txt'))
    session.install(*(['-c', pins] + list(packages) if packages else ['-r', pins]))


def _collection(session):
    """A copy of the collection in an ansible_collections tree (antsibull-nox makes it from the files git
    tracks); the session's environment finds it through ANSIBLE_COLLECTIONS_PATH."""
    setup = prepare_collections(session, install_in_site_packages=False, install_out_of_tree=True)
    session.env['ANSIBLE_COLLECTIONS_PATH'] = str(setup.current_place)
    session.env['SCALINGO_COLLECTION_ROOT'] = str(setup.current_path)
    return setup.current_path


def _work(session, name):
    """An empty work folder of the session's own, under its virtual environment (kept after the run)."""
    work = Path(session.virtualenv.location) / 'work' / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


@nox.session(name='collection-metadata', python=False)
def collection_metadata(session):
    """requires_ansible matches the oldest tested line, and the sanity ignore files are empty."""
    match = re.search(r'''^requires_ansible:\s*['"]?>=\s*([0-9.]+)''',
                      (ROOT / 'meta' / 'runtime.yml').read_text(encoding='utf-8'), re.M)
    if not match or '.'.join(match.group(1).split('.')[:2]) != OLDEST:
        session.error('meta/runtime.yml requires_ansible must be ">=%s.0", the oldest tested line' % OLDEST)
    for path in sorted((ROOT / 'tests' / 'sanity').glob('ignore-*.txt')):
        entries = [line for line in path.read_text(encoding='utf-8').splitlines()
                   if line.strip() and not line.lstrip().startswith('#')]
        if entries:
            session.error('%s has %d entries; sanity ignore files must stay empty' % (path.relative_to(ROOT), len(entries)))
    session.log('requires_ansible matches the oldest tested line (%s); no sanity ignore entries' % OLDEST)


@nox.session(name='simulator-tests', python=TOOL_PYTHON)
def simulator_tests(session):
    """The simulator's own tests (pytest), the official JavaScript client's check included (needs node and npm)."""
    _install(session, 'tools', '-r', 'tests/simulator/requirements.txt')
    if not shutil.which('node') or not shutil.which('npm'):
        session.warn('node or npm is missing: the official JavaScript client check will be skipped')
    session.run('python', '-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'no:ansible', '-ra', 'tests/simulator',
                env={'PYTHONDONTWRITEBYTECODE': '1'})


@nox.session(name='secret-scan', python=LINES[OLDEST])
def secret_scan(session):
    """Every integration target with -vvvv and the oldest ansible-core line; no secret in any output or file."""
    _install(session, 'core-' + OLDEST)
    session.install('-r', 'tests/integration/requirements.txt')
    collection = _collection(session)
    session.run('python', str(collection / 'tests' / 'secret_scan' / 'run.py'), '--work', str(_work(session, 'secret-scan')),
                *session.posargs)


@nox.session(name='benchmark-smoke', python=TOOL_PYTHON)
def benchmark_smoke(session):
    """The benchmark's short run against the simulator: request counts and the performance targets."""
    _install(session, 'demo')
    session.env['SCALINGO_DEV_WORK'] = str(_work(session, 'benchmark'))
    session.run('python', 'benchmarks/run.py', '--smoke', '--output', str(_work(session, 'benchmark-results') / 'smoke.json'))


@nox.session(name='bench', python=TOOL_PYTHON, default=False)
def bench(session):
    """The whole benchmark (make bench); nox -s bench -- --quick, --only inventory, ... (see README.md)."""
    _install(session, 'demo')
    session.run('python', 'benchmarks/run.py', *session.posargs)


@nox.session(name='docs-build', python=TOOL_PYTHON)
def docs_build(session):
    """The documentation site, offline (docs/build.sh: antsibull-docs and Sphinx; warnings fail)."""
    _install(session, 'docs')
    session.install('-r', 'docs/requirements.txt')
    _collection(session)
    session.run('bash', 'docs/build.sh', external=True)


@nox.session(name='molecule', python=TOOL_PYTHON)
def molecule(session):
    """Every molecule scenario of the roles, against the simulator (no container)."""
    _install(session, 'tools', 'molecule', 'ansible-core', 'requests')
    collection = _collection(session)
    for scenario in sorted(glob.glob(str(collection / 'roles' / '*' / 'molecule' / '*' / 'molecule.yml'))):
        role = Path(scenario).parent.parent.parent
        with session.chdir(role):
            session.run('molecule', 'test', '-s', Path(scenario).parent.name)


@nox.session(name='changelog-lint', python=TOOL_PYTHON)
def changelog_lint(session):
    """antsibull-changelog: the fragments and changelogs/changelog.yaml."""
    _install(session, 'tools', 'antsibull-changelog')
    session.run('antsibull-changelog', 'lint')
    session.run('antsibull-changelog', 'lint-changelog-yaml', 'changelogs/changelog.yaml')


def _build(session):
    dist = _work(session, 'dist')
    session.run('ansible-galaxy', 'collection', 'build', '--output-path', str(dist), silent=True)
    tarballs = sorted(dist.glob('%s-%s-*.tar.gz' % (NAMESPACE, NAME)))
    if len(tarballs) != 1:
        session.error('expected one tarball in %s, found %d' % (dist, len(tarballs)))
    return tarballs[0]


@nox.session(name='tarball-contents', python=TOOL_PYTHON)
def tarball_contents(session):
    """The Galaxy tarball ships what it must and nothing of the development tree."""
    _install(session, 'demo')
    tarball = _build(session)
    with tarfile.open(tarball) as tar:
        members = [member.name.lstrip('./') for member in tar.getmembers()]
    bad = sorted(m for m in members if any(fnmatch.fnmatch(m, pattern) for pattern in FORBIDDEN_IN_TARBALL))
    missing = [path for path in REQUIRED_IN_TARBALL if path not in members]
    for member in bad:
        session.log('must not ship: %s' % member)
    for member in missing:
        session.log('missing: %s' % member)
    if bad or missing:
        session.error('tarball content: %d path(s) that must not ship, %d missing' % (len(bad), len(missing)))
    session.log('%s: %d members, none forbidden' % (tarball.name, len(members)))


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
      - name: /build/collections/{name}
        type: file
additional_build_files:
  - src: {tarball}
    dest: collections
additional_build_steps:
  prepend_galaxy:
    - COPY _build/collections/ /build/collections/
"""


@nox.session(name='ee-definition', python=TOOL_PYTHON)
def ee_definition(session):
    """Execution environment: ansible-builder sees meta/ee-requirements.txt through the built collection, and
    writes the build context of an image holding it (building the image needs a container engine)."""
    _install(session, 'tools', 'ansible-builder', 'ansible-core')
    tarball = _build(session)
    installed = _work(session, 'ee-installed')
    session.run('ansible-galaxy', 'collection', 'install', '--offline', '--force', '-p', str(installed), str(tarball),
                env={'ANSIBLE_COLLECTIONS_PATH': str(installed)}, silent=True)
    output = session.run('ansible-builder', 'introspect', '--sanitize', str(installed), silent=True)
    wanted = [re.split(r'[<>=!~;\s\[]', line.strip())[0].lower()
              for line in (ROOT / 'meta' / 'ee-requirements.txt').read_text(encoding='utf-8').splitlines()
              if line.strip() and not line.startswith('#')]
    found = re.findall(r"^- '?([A-Za-z0-9_.-]+).*# from collection %s\.%s" % (NAMESPACE, NAME), output or '', re.M)
    missing = sorted(set(wanted) - {name.lower() for name in found})
    if missing:
        session.error('ansible-builder does not see %s from meta/execution-environment.yml' % ', '.join(missing))
    ee_dir = _work(session, 'ee')
    (ee_dir / 'execution-environment.yml').write_text(EE_DEFINITION.format(tarball=tarball, name=tarball.name),
                                                      encoding='utf-8')
    with session.chdir(ee_dir):
        session.run('ansible-builder', 'create', '-f', 'execution-environment.yml', '-c', 'context',
                    '--output-filename', 'Containerfile', silent=True)
    absent = [path for path in ('Containerfile', '_build/requirements.yml', '_build/collections/' + tarball.name)
              if not (ee_dir / 'context' / path).exists()]
    if absent:
        session.error('the build context lacks %s' % ', '.join(absent))
    session.log('introspect: %s; build context written' % ', '.join(sorted(set(found))))


# ---------------------------------------------------------------------------------------------
# The demo, and the simulator as a user's CI installs it

def _demo_env(session):
    """The demo's environment but the simulator's URL and token: the collection, a bearer cache of its own."""
    folder = Path(session.virtualenv.location) / 'demo'
    link = folder / 'collections' / 'ansible_collections' / NAMESPACE / NAME
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(ROOT)  # the checkout itself, so that edits show at once
    return {
        'ANSIBLE_COLLECTIONS_PATH': str(folder / 'collections'),
        'SCALINGO_CACHE_DIR': str(folder / 'bearer-cache'),
        'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
    }


@nox.session(name='demo', python=TOOL_PYTHON, default=False)
def demo(session):
    """examples/demo.yml (every module and the role) against the bundled simulator; nox -s demo -- -e x=y passes
    arguments to ansible-playbook."""
    _install(session, 'demo')
    sim_log = Path(session.virtualenv.location) / 'simulator.log'
    try:
        proc, url = simulator_process.start([str(Path(session.bin) / 'python'), '-m', 'simulator', '--port', '0'],
                                            str(sim_log), cwd=ROOT)
    except RuntimeError as exc:
        session.error(str(exc))
    session.log('Scalingo API simulator listening on %s (pid %d, log %s)' % (url, proc.pid, sim_log))
    env = dict(_demo_env(session), SCALINGO_API_URL=url, SCALINGO_AUTH_URL=url, SCALINGO_API_TOKEN=SIMULATOR_TOKEN)
    try:
        session.run('ansible-playbook', 'examples/demo.yml', *session.posargs, env=env)
    finally:
        session.log('Simulator stopped (pid %d, exit status %s)' % (proc.pid, simulator_process.stop(proc)))
    session.log('To read the module documentation with the demo\'s ansible-core:')
    session.log('  ANSIBLE_COLLECTIONS_PATH=%s %s scalingo.cloud.scalingo_app' % (
        env['ANSIBLE_COLLECTIONS_PATH'], Path(session.bin) / 'ansible-doc'))


@nox.session(name='simulator-package', python=TOOL_PYTHON)
def simulator_package(session):
    """The simulator as a user's CI gets it: wheel built, installed with pip in a fresh virtual environment,
    started as scalingo-simulator, and the demo run against it (tests/simulator_package/run.py)."""
    _install(session, 'demo')
    # The wheel is built and installed with pip by the Python itself (not the session's environment, made by uv).
    session.run('python', 'tests/simulator_package/run.py', '--work', str(_work(session, 'simulator-package')),
                '--python', PYTHONS[TOOL_PYTHON],
                '--then', str(Path(session.bin) / 'ansible-playbook'), 'examples/demo.yml', env=_demo_env(session))


@nox.session(name='awx-runner', python=TOOL_PYTHON)
def awx_runner(session):
    """The AWX run path: the demo through ansible-runner with the credential type's injected environment; the
    token in no file the run writes but ansible-runner's command file (tests/awx_runner/run.py)."""
    session.install('-r', 'tests/awx_runner/requirements.txt')
    session.run('python', 'tests/awx_runner/run.py', '--work', str(_work(session, 'awx-runner')))


@nox.session(name='actionlint', python=TOOL_PYTHON)
def actionlint(session):
    """The GitHub workflows (.github/workflows/) with actionlint, and their run: scripts with shellcheck."""
    session.install('-r', 'tests/actionlint/requirements.txt')
    if not shutil.which('shellcheck'):
        session.error('shellcheck is missing: actionlint would not check the run: scripts (.ci/run installs it)')
    session.run('bash', 'tests/actionlint/run.sh', external=True)
    # Every session of the default list has its job: by name, or as <check>-<line> of the matrix of lines.
    workflow = (ROOT / '.github' / 'workflows' / 'ci.yml').read_text(encoding='utf-8')
    listed = set(re.findall(r"^\s*-\s*'?([\w.-]+)'?\s*$", workflow, re.M))
    missing = [name for name, func in nox.registry.get().items() if func.default and name not in listed and not (
        name.rpartition('-')[0] in listed and name.rpartition('-')[2] in listed)]
    if missing:
        session.error('.github/workflows/ci.yml runs no job for %s' % ', '.join(sorted(missing)))
    session.log('.github/workflows/ci.yml has a job for every default session')


@nox.session(name='lock', python=False, default=False)
def lock(session):
    """Re-pin hacking/requirements/<name>.txt from <name>.in (exact versions, every dependency): nox -s lock [-- NAME...]."""
    names = session.posargs or sorted(path.stem for path in REQUIREMENTS.glob('*.in'))
    for name in names:
        version = LINES.get(name[len('core-'):], TOOL_PYTHON) if name.startswith('core-') else TOOL_PYTHON
        python = PYTHONS.get(version)
        if not python:
            session.error('%s: no Python %s found' % (name, version))
        with tempfile.TemporaryDirectory(prefix='scalingo-lock-') as tmp:
            session.run(python, '-m', 'venv', tmp + '/venv', external=True)
            session.run(tmp + '/venv/bin/python', '-m', 'pip', 'install', '--quiet', '-r', str(REQUIREMENTS / (name + '.in')),
                        external=True)
            frozen = session.run(tmp + '/venv/bin/python', '-m', 'pip', 'freeze', external=True, silent=True)
        (REQUIREMENTS / (name + '.txt')).write_text(
            '# Generated by `nox -s lock` from %s.in with Python %s; do not edit by hand.\n%s' % (name, version, frozen),
            encoding='utf-8')
        session.log('%s: %d packages pinned' % (name, len(frozen.splitlines())))
