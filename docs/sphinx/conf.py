# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Sphinx configuration of the scalingo.cloud documentation site.
#
# Started from `antsibull-docs sphinx-init --use-current --squash-hierarchy scalingo.cloud`, then
# made to build offline: intersphinx is off (no inventory is downloaded), so references to the
# Ansible documentation (ansible.builtin plugins, keywords) render as plain text instead of links.
# Build it with docs/build-docs.sh; the RST sources of the reference are generated into
# docs/build/rst by antsibull-docs and are not kept in git.

project = 'scalingo.cloud'
copyright = 'scalingo.cloud contributors'

title = 'scalingo.cloud documentation'
html_short_title = 'scalingo.cloud'

extensions = ['sphinx.ext.autodoc', 'sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'

highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_theme_options = {
    'topbar_links': {
        'Repository': 'https://github.com/scalingo-ansible/scalingo.cloud',
        'Issues': 'https://github.com/scalingo-ansible/scalingo.cloud/issues',
        'Scalingo API': 'https://developers.scalingo.com/',
    },
    'documentation_home_url': 'https://github.com/scalingo-ansible/scalingo.cloud',
    'show_extranav': False,
    'show_rtd_ethical_ads': False,
}

display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

# Offline build: no intersphinx inventories. Unresolvable references to other docsites
# (ref.ref, and ref.envvar for ansible-core's own variables such as ANSIBLE_CACHE_PLUGIN, which the
# inventory plugin's cache options name) are expected then; every other warning fails the build
# (sphinx-build -W).
intersphinx_mapping = {}
suppress_warnings = ['ref.ref', 'ref.envvar']

default_role = 'any'

nitpicky = True
