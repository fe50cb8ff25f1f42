"""Run a command with environment variables given on stdin, its output going to files.

Reads ``{"env": {...}, "argv": [...], "stdout": PATH, "stderr": PATH, "rc": PATH}`` as JSON on stdin,
writes the command's exit status to the ``rc`` file and exits 0 (the result of a ``no_log`` task
holds no exit status on every ansible-core version). The playbook passes the API token this way (in a ``no_log`` task)
rather than with the ``environment`` keyword, whose values Ansible puts on the command line it
shows at high verbosity."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main():
    spec = json.load(sys.stdin)
    # the variables given replace every inherited SCALINGO_* one: they are the whole configuration
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("SCALINGO_"))
    env.update(spec["env"])
    with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
        returncode = subprocess.run(spec["argv"], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    check=False).returncode
    with open(spec["rc"], "w") as handle:
        handle.write("%d\n" % returncode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
