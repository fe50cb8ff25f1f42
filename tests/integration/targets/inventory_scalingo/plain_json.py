"""Read the JSON of `ansible-inventory --list` from the file given as argument and print it with the `__ansible_unsafe`
markers (strings an inventory plugin gives, which Ansible never templates) replaced by their values,
so that the playbook can parse it with from_json."""

from __future__ import annotations

import json
import sys


def plain(value):
    if isinstance(value, dict):
        if list(value) == ["__ansible_unsafe"]:
            return value["__ansible_unsafe"]
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        data = json.load(handle)
    unsafe = json.dumps(data).count('"__ansible_unsafe"')
    print(json.dumps({"inventory": plain(data), "unsafe_markers": unsafe}))


if __name__ == "__main__":
    main()
