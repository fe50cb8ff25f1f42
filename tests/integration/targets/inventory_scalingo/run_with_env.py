"""Run a command with environment variables given on stdin, its output going to files.

Reads ``{"env": {...}, "argv": [...], "stdout": PATH, "stderr": PATH}`` as JSON on stdin and exits
with the command's exit status. The playbook passes the API token this way (in a ``no_log`` task)
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
        return subprocess.run(spec["argv"], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                              check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
