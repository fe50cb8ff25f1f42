#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, which also checks
# their `run:` scripts with shellcheck when shellcheck is on PATH. actionlint is taken from PATH;
# nox -s actionlint installs it (tests/actionlint/requirements.txt) and runs this script.
#
# Exit status: actionlint's (0 when no problem is found), 2 when actionlint is missing or there is
# no workflow file.
set -euo pipefail

cd "$(dirname "$0")/../.."

if ! command -v actionlint >/dev/null 2>&1; then
    echo "actionlint is not on PATH: run nox -s actionlint, or install tests/actionlint/requirements.txt" >&2
    exit 2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
if [ "${#workflows[@]}" -eq 0 ]; then
    echo "no workflow file in .github/workflows" >&2
    exit 2
fi

if command -v shellcheck >/dev/null 2>&1; then
    echo "actionlint $(actionlint -version | head -n 1), with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
else
    echo "actionlint $(actionlint -version | head -n 1), without shellcheck (not on PATH): run: scripts are not checked"
fi

actionlint -no-color "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflow files checked, no problem found"
