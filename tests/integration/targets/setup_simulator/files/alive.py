"""Exit 0 when the process whose id is the first argument is alive (not gone, not a zombie)."""

from __future__ import annotations

import os
import sys


def main():
    pid = int(sys.argv[1])
    try:
        os.kill(pid, 0)
    except OSError:
        return 1
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            state = handle.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        state = ''
    return 1 if state == 'Z' else 0


if __name__ == '__main__':
    sys.exit(main())
