# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX run path: examples/demo.yml run by ansible-runner with the Scalingo API credential injected.

What an AWX job does, without AWX: the credential type of docs/awx/scalingo_credential_type.yml is
rendered into the job's environment as AWX renders it, the collection is installed into the private
data folder's requirements_collections as a project sync does, and ansible-runner runs the project's
playbook (process isolation off) against the bundled simulator, which accepts only a token made up
for this run. Checks: status successful, rc 0, failed=0 in the play recap, and the token (raw, and as
the base64 of a basic Authorization) in no file of the work folder but artifacts/<ident>/command,
nor in the runner's stdout or the simulator's logs.

    PYTHON tests/awx_runner/run.py --work DIR      (from the collection root; DIR is emptied first)

PYTHON has tests/awx_runner/requirements.txt. Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import stat
import string
import subprocess
import sys
import time

import ansible_runner
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
import simulator_process  # noqa: E402 pylint: disable=wrong-import-position

CREDENTIAL_TYPE = os.path.join(ROOT, 'docs', 'awx', 'scalingo_credential_type.yml')
IDENT = '1'                # AWX names the artifacts after the job id
MARKER = '.awx-runner-work'  # marks a work folder this test may empty
RECAP_RE = re.compile(r'^(\S+)\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
# Where the token may be: ansible-runner records the command it ran and its whole environment in
# artifacts/<ident>/command (mode 0600), whatever suppress_env_files says. In AWX that folder is the
# job's private data folder, streamed back from the execution node and deleted when the job ends;
# what AWX keeps of the environment (the job's job_env) is the safe environment, secrets masked.
ALLOWED = (os.path.join('private_data_dir', 'artifacts', IDENT, 'command'),)
# The inventory of AWX's Demo Inventory: localhost, local connection, the playbook's Python.
INVENTORY = {'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                             'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}


def make_token():
    """A token shaped like a real one, made up for this run: the simulator accepts it and no other."""
    return 'tk-us-' + ''.join(secrets.choice(string.ascii_letters + string.digits) for dummy in range(48))


def render_injectors(inputs):
    """(env, safe_env) of a credential with these inputs, as AWX renders them at job time.

    AWX (Credential.inject_credential) puts the non-empty inputs in the namespace (an empty input is
    left out, so its default() applies), renders every env injector in a plain
    ImmutableSandboxedEnvironment (default Undefined; StrictUndefined is only for the check AWX makes
    when the type is saved, see tests/unit/test_awx_credential_type.py), and renders them again with the
    secret inputs replaced by ********** for the environment it stores and shows with the job."""
    with open(CREDENTIAL_TYPE, encoding='utf-8') as handle:
        cred_type = yaml.safe_load(handle)['credential_types'][0]
    secret = {f['id'] for f in cred_type['inputs']['fields'] if f.get('secret')}
    namespace = {k: v for k, v in inputs.items() if v}
    safe_namespace = {k: ('*' * 10 if k in secret else v) for k, v in namespace.items()}
    sandbox = ImmutableSandboxedEnvironment()
    templates = cred_type['injectors']['env']
    env = {name: sandbox.from_string(tmpl).render(**namespace) for name, tmpl in templates.items()}
    safe_env = {name: sandbox.from_string(tmpl).render(**safe_namespace) for name, tmpl in templates.items()}
    return env, safe_env


def prepare_work(work):
    """Empty the work folder (only one that is empty or was made by this test)."""
    inside = os.path.relpath(work, ROOT)
    if not inside.startswith((os.pardir, os.path.join('tests', 'output', ''), '.nox' + os.sep)):
        raise SystemExit('the work folder must be outside the collection (or under tests/output/ or .nox/, which the '
                         'build leaves out): the collection is built from the checkout')
    if os.path.isdir(work) and os.listdir(work) and not os.path.exists(os.path.join(work, MARKER)):
        raise SystemExit('%s is not empty and was not made by this test: give a new or empty folder' % work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, 'home'), mode=0o700)
    with open(os.path.join(work, MARKER), 'w', encoding='utf-8'):
        pass


def start_simulator(work, token):
    """The simulator on a free port of 127.0.0.1, accepting only `token`: (process, url)."""
    try:
        return simulator_process.start(
            [sys.executable, '-m', 'simulator', '--host', '127.0.0.1', '--port', '0', '--verbose',
             '--token', token + '=awx-runner@example.com', '--request-log', os.path.join(work, 'requests.jsonl')],
            os.path.join(work, 'simulator.log'), cwd=ROOT)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def prepare_private_data_dir(work, pdd):
    """The private data folder of an AWX job: env/, inventory/, project/, requirements_collections/."""
    os.makedirs(pdd, mode=0o700)
    for sub in ('env', 'inventory'):
        os.mkdir(os.path.join(pdd, sub), 0o700)
    project = os.path.join(pdd, 'project')                     # the project's checkout
    os.mkdir(project)
    shutil.copy(os.path.join(ROOT, 'examples', 'demo.yml'), project)
    shutil.copytree(os.path.join(ROOT, 'examples', 'app'), os.path.join(project, 'app'))
    # A project sync installs the collections of collections/requirements.yml with ansible-galaxy
    # into requirements_collections, which AWX puts first in ANSIBLE_COLLECTIONS_PATH.
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    build, collections = os.path.join(work, 'build'), os.path.join(pdd, 'requirements_collections')
    for args in (['build', '--output-path', build, ROOT],
                 ['install', '--no-deps', '-p', collections,
                  os.path.join(build, 'scalingo-cloud-%s.tar.gz' % collection_version())]):
        subprocess.run([galaxy, 'collection'] + args, check=True, stdout=subprocess.DEVNULL, cwd=work,
                       env=dict(os.environ, HOME=os.path.join(work, 'home'), ANSIBLE_COLLECTIONS_PATH=collections))
    # AWX writes env/settings itself (0600). It sets suppress_ansible_output and suppress_output_file
    # to true and keeps the events in its database; here the runner prints the output (captured in
    # runner-stdout.txt) and writes artifacts/<ident>/stdout and job_events/, so that they are scanned.
    path = os.path.join(pdd, 'env', 'settings')
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
        json.dump({'job_timeout': 1800, 'suppress_ansible_output': False, 'suppress_output_file': False}, handle)


def collection_version():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['version']


def files_under(top):
    for dirpath, dummy, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                yield path


def scan(work, needles):
    """(number of files read, {relative path: occurrences}) of the needles in every file of `work`."""
    count, found = 0, {}
    for path in files_under(work):
        with open(path, 'rb') as handle:
            data = handle.read()
        count += 1
        hits = sum(data.count(needle) for needle in needles)
        if hits:
            found[os.path.relpath(path, work)] = hits
    return count, found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work', required=True, help='work folder (emptied first, kept at the end)')
    args = parser.parse_args(argv)
    started = time.monotonic()
    work = os.path.abspath(args.work)
    prepare_work(work)
    pdd = os.path.join(work, 'private_data_dir')
    token = make_token()
    needles = [token.encode(), base64.b64encode((':' + token).encode())]  # raw, and as basic auth
    # A job's environment is the execution environment's, not the caller's: no Scalingo or Ansible
    # setting of the caller reaches the run (ansible-runner starts from os.environ without isolation).
    for name in [n for n in os.environ if n.startswith(('SCALINGO_', 'ANSIBLE_')) or n == 'XDG_CACHE_HOME']:
        del os.environ[name]
    os.environ['PATH'] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')])
    problems = []
    proc, url = start_simulator(work, token)
    try:
        prepare_private_data_dir(work, pdd)
        # The credential: the region left empty (its default applies), both URLs at the simulator.
        env, safe_env = render_injectors({'api_token': token, 'region': '', 'api_url': url, 'auth_url': url})
        expected = {'SCALINGO_API_TOKEN': token, 'SCALINGO_REGION': 'osc-fr1', 'SCALINGO_API_URL': url,
                    'SCALINGO_AUTH_URL': url}
        wrong = sorted(name for name in set(env) | set(expected) if env.get(name) != expected.get(name))
        if wrong:
            problems.append('the injectors did not render the expected %s' % ', '.join(wrong))
        if token in json.dumps(safe_env):
            problems.append('the safe environment AWX stores with the job holds the token')
        envvars = dict(env)
        envvars.update({
            'ANSIBLE_COLLECTIONS_PATH': os.path.join(pdd, 'requirements_collections'),
            'ANSIBLE_RETRY_FILES_ENABLED': 'False',        # as AWX's RunJob.build_env
            'AWX_PRIVATE_DATA_DIR': pdd,
            'ANSIBLE_NOCOLOR': '1',                        # the runner's pty would colour the recap
            'HOME': os.path.join(work, 'home'),            # an execution environment's throwaway home
        })
        # As AWX's BaseTask.run: ident, playbook relative to project/, inventory, envvars with
        # suppress_env_files=True (AWX_RUNNER_OMIT_ENV_FILES: no env/envvars file), the fact cache of a
        # job template with fact storage on; process isolation off stands for the execution environment.
        with open(os.path.join(work, 'runner-stdout.txt'), 'w', encoding='utf-8') as out, \
                contextlib.redirect_stdout(out):
            result = ansible_runner.run(private_data_dir=pdd, ident=IDENT, playbook='demo.yml',
                                        inventory=INVENTORY, envvars=envvars, suppress_env_files=True,
                                        fact_cache_type='jsonfile', process_isolation=False)
    finally:
        simulator_process.stop(proc)
    with open(os.path.join(work, 'runner-stdout.txt'), encoding='utf-8') as handle:
        recap = RECAP_RE.findall(handle.read())
    if (result.status, result.rc) != ('successful', 0):
        problems.append('the run ended %s, rc %s (see runner-stdout.txt)' % (result.status, result.rc))
    if not recap or any(failed != '0' or unreachable != '0' for dummy, unreachable, failed in recap):
        problems.append('play recap: %s' % (', '.join('%s unreachable=%s failed=%s' % r for r in recap) or 'none'))
    count, found = scan(work, needles)
    leaks = {path: n for path, n in found.items() if path not in ALLOWED}
    for path, hits in sorted(leaks.items()):
        problems.append('LEAK: the token %d time(s) in %s' % (hits, path))
    # The scan reads what it claims to: the token is where the runner records the job's environment
    # (so it did reach the job), and a token planted in a new file is found.
    command = os.path.join(work, ALLOWED[0])
    if not found.get(ALLOWED[0]) or stat.S_IMODE(os.stat(command).st_mode) != 0o600:
        problems.append('self-check: no token in %s, or that file is not mode 0600' % ALLOWED[0])
    canary = os.path.join(pdd, 'artifacts', IDENT, 'job_events', 'canary.json')
    with open(canary, 'wb') as handle:
        handle.write(b'{"stdout": "' + needles[1] + b' ' + needles[0] + b'"}')
    if scan(work, needles)[1].get(os.path.relpath(canary, work)) != 2:
        problems.append('self-check: a token planted in %s was not found' % os.path.relpath(canary, work))
    os.unlink(canary)
    print('AWX run path: status %s, rc %s, recap %s' % (result.status, result.rc,
                                                        ', '.join('%s failed=%s' % (r[0], r[2]) for r in recap)))
    print('Token scan: %d files of %s searched, %d occurrence(s) outside %s (%d in it)'
          % (count, work, sum(leaks.values()), ', '.join(ALLOWED), found.get(ALLOWED[0], 0)))
    for problem in problems:
        print('FAILED: ' + problem)
    print('%s in %.0f s' % ('FAILED' if problems else 'passed', time.monotonic() - started))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
