#!/usr/bin/env bash
# The scalingo inventory plugin against the simulator: ansible-inventory --list and --graph with
# filters, keyed groups, compose and the cache, an AWX inventory source, then a play over the
# generated groups with --forks 10. See inventory_scalingo.yml.
set -eu

export ANSIBLE_ROLES_PATH=..
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
output_dir=${OUTPUT_DIR:-$(mktemp -d)}
pid_file="$output_dir/simulator.pid"

# Stops the simulator when the playbook failed before it stopped it.
cleanup() {
    if [ -s "$pid_file" ]; then
        kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
    fi
}
trap cleanup EXIT

ansible-playbook -i inventory.yml inventory_scalingo.yml -e "output_dir=$output_dir" -e "target_dir=$PWD" "$@"
