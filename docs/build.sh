#!/usr/bin/env bash
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Build the documentation site of scalingo.cloud, offline, into docs/build/html.
#
#   python3 -m venv /tmp/docs-venv && /tmp/docs-venv/bin/pip install -r docs/requirements.txt
#   PATH=/tmp/docs-venv/bin:$PATH bash docs/build.sh
#
# antsibull-docs renders the module and role reference, and the guides of docs/docsite/rst, into
# docs/build/rst; Sphinx (configuration in docs/sphinx/) turns them into HTML. Warnings fail the
# build. Everything under docs/build is generated and ignored by git.
set -euo pipefail

DOCS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(dirname "$DOCS")"
BUILD="$DOCS/build"
COLLECTION=scalingo.cloud

for tool in ansible-doc antsibull-docs sphinx-build; do
    if ! command -v "$tool" > /dev/null; then
        echo "docs/build.sh: $tool not found; install docs/requirements.txt (and ansible-core) first" >&2
        exit 2
    fi
done

# ansible-doc must find this very tree as scalingo.cloud: use ANSIBLE_COLLECTIONS_PATH when one of
# its entries holds it, else a temporary collections path linking to the checkout.
collections=""
IFS=: read -r -a entries <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for entry in "${entries[@]}"; do
    candidate="$entry/ansible_collections/scalingo/cloud"
    if [ -d "$candidate" ] && [ "$(cd "$candidate" && pwd -P)" = "$ROOT" ]; then
        collections="$entry"
        break
    fi
done
tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ -z "$collections" ]; then
    tmp="$(mktemp -d)"
    mkdir -p "$tmp/ansible_collections/scalingo"
    ln -s "$ROOT" "$tmp/ansible_collections/scalingo/cloud"
    collections="$tmp"
fi
export ANSIBLE_COLLECTIONS_PATH="$collections"
export ANSIBLE_NOCOLOR=1

rm -rf "$BUILD/rst" "$BUILD/html" "$BUILD/doctrees"
mkdir -p "$BUILD/rst"
chmod og-w "$BUILD/rst"  # antsibull-docs wants the output directory writable by its owner only

echo "Generating the reference of $COLLECTION with antsibull-docs $(antsibull-docs --version)"
antsibull-docs --config-file "$DOCS/sphinx/antsibull-docs.cfg" collection \
    --use-current --squash-hierarchy --fail-on-error --cleanup everything \
    --dest-dir "$BUILD/rst" "$COLLECTION"

# Before the first release, the changelog page has no title, which a Sphinx toctree refuses.
if [ -f "$BUILD/rst/changelog.rst" ] && ! grep -q '^===' "$BUILD/rst/changelog.rst"; then
    printf '%s\n' '.. _changelog_for_scalingo.cloud:' '' \
        'Changelog' '=========' '' 'No release of scalingo.cloud yet.' > "$BUILD/rst/changelog.rst"
fi

# Files the guides include (.. literalinclude:: ../awx/...).
mkdir -p "$BUILD/rst/awx"
cp "$DOCS/awx/scalingo_credential_type.yml" "$BUILD/rst/awx/"

echo "Building the HTML site with $(sphinx-build --version)"
sphinx-build -b html -d "$BUILD/doctrees" -c "$DOCS/sphinx" -W --keep-going -q "$BUILD/rst" "$BUILD/html"

# Every module and every role has its page.
missing=0
pages=0
for module in "$ROOT"/plugins/modules/*.py; do
    name="$(basename "$module" .py)"
    [ "$name" = "__init__" ] && continue
    page="$BUILD/html/${name}_module.html"
    if [ -s "$page" ]; then pages=$((pages + 1)); else echo "missing page: ${page#"$ROOT"/}" >&2; missing=1; fi
done
for role in "$ROOT"/roles/*/; do
    [ -d "$role" ] || continue
    name="$(basename "$role")"
    page="$BUILD/html/${name}_role.html"
    if [ -s "$page" ]; then pages=$((pages + 1)); else echo "missing page: ${page#"$ROOT"/}" >&2; missing=1; fi
done
for guide in "$DOCS"/docsite/rst/*.rst; do
    page="$BUILD/html/docsite/$(basename "$guide" .rst).html"
    if [ -s "$page" ]; then pages=$((pages + 1)); else echo "missing page: ${page#"$ROOT"/}" >&2; missing=1; fi
done
if [ "$missing" != 0 ]; then
    exit 1
fi
echo "Documentation site built: $pages module, role and guide pages; open ${BUILD#"$ROOT"/}/html/index.html"
