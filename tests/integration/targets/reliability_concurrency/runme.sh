#!/usr/bin/env bash
# Ten hosts, forks 10, one shared bearer cache: see concurrency.yml.
set -eu

export ANSIBLE_ROLES_PATH=..
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
output_dir=${OUTPUT_DIR:-$(mktemp -d)}
pid_file="$output_dir/simulator.pid"

# Stops the simulator when a play failed before the last one stopped it.
cleanup() {
    if [ -s "$pid_file" ]; then
        kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
    fi
}
trap cleanup EXIT

ansible-playbook -i inventory.yml concurrency.yml --forks 10 -e "output_dir=$output_dir" "$@"
