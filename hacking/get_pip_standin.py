# Copyright: scalingo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scalingo.cloud get-pip stand-in: offline pip bootstrap for ansible-test.

ansible-test bootstraps pip in each virtual environment it creates by running a ``get-pip.py``
that it downloads from a host this project cannot rely on, unless it finds one in
``~/.ansible/test/cache/get_pip_<version>.py``. The nox sessions of ansible-test (``noxfile.py``)
put this file there. It installs pip from the Python's own ``ensurepip`` and then lets that pip install
what ansible-test asked for (the pinned pip version), from the package index as usual.
"""

from __future__ import annotations

import subprocess
import sys

IGNORED = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
    subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=True)
    return subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, check=False).returncode


if __name__ == '__main__':
    sys.exit(main())
