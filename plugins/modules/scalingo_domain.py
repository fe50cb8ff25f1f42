#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_domain
short_description: Declare a domain name of a Scalingo app, with its Let's Encrypt or custom certificate
version_added: 0.2.0
description:
  - Adds a custom domain name to a Scalingo app, updates whether it is canonical, whether Let's Encrypt issues its
    certificate, and its custom certificate; or removes the domain.
  - Declarative and idempotent. The API never returns a certificate, only its subject and the end of its
    validity, so a certificate given in O(tls_cert) is parsed locally and compared on those two. The same
    certificate again changes nothing; a renewed one (same subject, later validity) is sent once.
  - A domain name cannot change; to rename, add the new domain and remove the old one.
  - Can wait until Let's Encrypt has issued the certificate (O(wait_for_certificate)).
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  name:
    description:
      - The domain name, for example V(www.example.com), or V(*.example.com) for a wildcard domain.
      - Compared without case; at most 253 characters, labels of 1 to 63 letters, digits and hyphens.
    type: str
    required: true
  state:
    description:
      - V(present) adds the domain or updates it; V(absent) removes it. Removing a domain that the app does not
        have changes nothing.
      - With V(absent), only O(app) and O(name) are used.
    type: str
    choices: [present, absent]
    default: present
  canonical:
    description:
      - Whether the domain is the canonical domain of the app (the platform redirects the app's other domains
        to it). An app has at most one; making a domain canonical makes the previous one non-canonical.
      - When not set, a new domain is not canonical and an existing one keeps its setting.
    type: bool
  letsencrypt:
    description:
      - Whether Let's Encrypt issues (and renews) the certificate of the domain.
      - When not set, a new domain has Let's Encrypt enabled (the platform's default) and an existing one keeps
        its setting.
    type: bool
  tls_cert:
    description:
      - Custom certificate of the domain, PEM text (the domain's certificate first, then the intermediate
        certificates).
      - Requires O(tls_key). Compared with the certificate the domain uses on its subject and the end of its
        validity.
      - When not set, the certificate of the domain is left as it is.
    type: str
  tls_key:
    description:
      - Private key of O(tls_cert), PEM text, without a passphrase.
      - Must be the key of O(tls_cert); the module refuses a key that does not match before sending anything.
      - Never shown in results, diffs, warnings or errors.
    type: str
  wait_for_certificate:
    description:
      - Whether to wait, after the change (or when nothing changes), until Let's Encrypt has issued the
        certificate of the domain (RV(scalingo_domain.letsencrypt_status) V(created)), polling every
        O(poll_interval) seconds for at most O(wait_timeout) seconds.
      - Let's Encrypt issues a certificate only once the domain points to the app (or, for a wildcard domain,
        once the ACME DNS record RV(scalingo_domain.acme_dns_fqdn) exists). The task fails when the time is up,
        naming the record to create, and when Let's Encrypt reports an error.
      - Has no effect with O(wait=false), in check mode, with Let's Encrypt disabled, or with a custom certificate.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds O(wait_for_certificate=true) waits for the certificate.
      - When the time is up the task fails, but Let's Encrypt goes on trying on the platform.
    default: 600
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the domains of the app and sends nothing else; returns the predicted domain.
      - When the app does not exist (yet), reports the domain it would add, with a warning, instead of failing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The domain's name, canonical flag, Let's Encrypt flag and certificate subject and validity before and
        after; never a key.
requirements:
  - cryptography (only when O(tls_cert) is given; it comes with ansible-core)
notes:
  - A no-op run sends exactly one request, C(GET /apps/{app}/domains). An addition sends one
    C(POST /apps/{app}/domains), an update one C(PATCH /apps/{app}/domains/{id}) holding only what differs, a
    removal one C(DELETE /apps/{app}/domains/{id}).
  - An invalid domain name, a certificate or key that does not parse, a key that does not match its
    certificate, and a 21st domain (an app has at most 20) are refused before any write; every input check but
    the last one comes before any request.
seealso:
  - module: scalingo.cloud.scalingo_app_info
  - name: Scalingo API, domains
    description: The API endpoints this module uses.
    link: https://developers.scalingo.com/domains
  - name: Custom domain names on Scalingo
    description: How to point a domain to an app.
    link: https://doc.scalingo.com/platform/app/domain
"""

EXAMPLES = r"""
- name: Serve the app on www.example.com with a Let's Encrypt certificate, and wait for it
  scalingo.cloud.scalingo_domain:
    app: my-app
    name: www.example.com
    canonical: true
    wait_for_certificate: true
    wait_timeout: 900

- name: Use a custom certificate (renewals are sent once, then the task is idempotent again)
  scalingo.cloud.scalingo_domain:
    app: my-app
    name: shop.example.com
    letsencrypt: false
    tls_cert: "{{ lookup('ansible.builtin.file', 'certs/shop.example.com.fullchain.pem') }}"
    tls_key: "{{ shop_tls_key }}"

- name: Add a wildcard domain
  scalingo.cloud.scalingo_domain:
    app: my-app
    name: "*.apps.example.com"
  register: wildcard

- name: Show the ACME DNS record Let's Encrypt needs for it
  ansible.builtin.debug:
    msg: "TXT {{ wildcard.scalingo_domain.acme_dns_fqdn }} = {{ wildcard.scalingo_domain.acme_dns_value }}"
  when: wildcard.scalingo_domain.acme_dns_fqdn is not none

- name: Remove a domain
  scalingo.cloud.scalingo_domain:
    app: my-app
    name: old.example.com
    state: absent
"""

RETURN = r"""
scalingo_domain:
  description:
    - The domain as the platform describes it after the task (the prediction in check mode); never its key.
    - Empty when O(state=absent).
  returned: success
  type: dict
  contains:
    id:
      description: ID of the domain; V(null) in check mode for a domain to add.
      type: str
      sample: 541067ec736f7504a5110000
    name:
      description: The domain name.
      type: str
      sample: www.example.com
    canonical:
      description: Whether it is the canonical domain of the app.
      type: bool
      sample: true
    letsencrypt_enabled:
      description: Whether Let's Encrypt issues its certificate.
      type: bool
      sample: true
    letsencrypt:
      description: Whether the domain currently uses a Let's Encrypt certificate.
      type: bool
      sample: false
    letsencrypt_status:
      description:
        - Let's Encrypt certificate status, V(pending_dns) (the domain does not point to the app yet), V(new),
          V(created), V(dns_required) (wildcard domains, the ACME DNS record is missing) or V(error);
          V(null) when Let's Encrypt is not used.
      type: str
      sample: created
    ssl:
      description: Whether the domain uses a custom certificate.
      type: bool
      sample: false
    ssl_status:
      description: Certificate status, V(pending), V(success) or V(error), when the API gives it.
      type: str
      sample: success
    certificate_subject:
      description: Subject of the certificate the domain uses, V(null) when it has none.
      type: str
      sample: /C=FR/O=Example/CN=shop.example.com
    certificate_validity:
      description: End of validity of that certificate (ISO 8601), V(null) when it has none.
      type: str
      sample: "2027-03-01T12:00:00.000Z"
    acme_dns_fqdn:
      description: Name of the ACME DNS-01 TXT record Let's Encrypt needs, when the API gives one.
      type: str
      sample: _acme-challenge.example.com
    acme_dns_value:
      description: Value of that TXT record, when the API gives one.
      type: str
      sample: 8IEPFJ2gIepgizYNLW7Ir2dN2xDFRZ2ClsWVeX-bQp4
    acme_dns_error:
      description: The ACME DNS-01 error, when the API gives one.
      type: dict
      sample: {dns_provider: "", variables: []}
failure:
  description:
    - Structured description of a failed request, with the API's answer (never a secret).
  returned: failure
  type: dict
  contains:
    type:
      description: Kind of failure (C(ScalingoAPIError), C(ScalingoConnectionError), C(ScalingoTimeoutError), ...).
      type: str
      sample: ScalingoAPIError
    message:
      description: The message of the task's failure.
      type: str
    status:
      description: HTTP status of a refused request.
      type: int
      sample: 422
    errors:
      description: The field errors of the API's answer.
      type: dict
      sample: {tlscert: [is invalid]}
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.domains import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    DIFF_KEYS,
    HAS_CRYPTOGRAPHY,
    MAX_DOMAINS,
    CertificateError,
    certificate_matches,
    domain_name_error,
    domain_result,
    domains_path,
    find_domain,
    list_domains,
    load_certificate,
    normalize_name,
    wait_for_certificate,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error

ARGUMENT_SPEC = dict(
    app=dict(type="str", required=True),
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    canonical=dict(type="bool"),
    letsencrypt=dict(type="bool"),
    tls_cert=dict(type="str"),
    tls_key=dict(type="str", no_log=True),
    wait_for_certificate=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600),
)


def check_input(scalingo):
    """The local certificate (or None), after refusing bad input before any request."""
    params = scalingo.params
    errors = [app_name_error(params["app"], "app"), domain_name_error(params["name"])]
    local = None
    if params["state"] == "present" and params["tls_cert"] is not None:
        if not HAS_CRYPTOGRAPHY:
            scalingo.module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
        try:
            local = load_certificate(params["tls_cert"], params["tls_key"])
        except CertificateError as error:
            errors.append(str(error))
    errors = [e for e in errors if e]
    if errors:
        scalingo.fail("; ".join(errors))
    if local is not None and local["expired"]:
        scalingo.module.warn("tls_cert: the certificate expired on %s" % local["not_after"])
    return local


def predicted(current, params, local):
    """The domain as the API would describe it after the change (check mode)."""
    domain = dict(current or dict(id=None, name=normalize_name(params["name"]), canonical=False,
                                  letsencrypt_enabled=True, letsencrypt=False, ssl=False))
    if params["canonical"] is not None:
        domain["canonical"] = params["canonical"]
    if params["letsencrypt"] is not None:
        domain["letsencrypt_enabled"] = params["letsencrypt"]
    if local is not None:
        domain.update(ssl=True, tlscert=local["subject"], validity=local["not_after"])
    return domain


def changes(current, params, local):
    """The fields of a PATCH (or POST) that make the domain what the task declares."""
    body = {}
    if params["canonical"] is not None and (current is None or bool(current.get("canonical")) != params["canonical"]):
        body["canonical"] = params["canonical"]
    if params["letsencrypt"] is not None and (
            current is None or bool(current.get("letsencrypt_enabled")) != params["letsencrypt"]):
        body["letsencrypt_enabled"] = params["letsencrypt"]
    if local is not None and (current is None or not certificate_matches(current, local)):
        body["tlscert"] = params["tls_cert"]
        body["tlskey"] = params["tls_key"]
    return body


def run(scalingo):
    params = scalingo.params
    local = check_input(scalingo)
    app, name = params["app"], normalize_name(params["name"])
    client = scalingo.client
    try:
        domains = list_domains(client, app)
        app_missing = False
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        domains, app_missing = [], True
    current = find_domain(domains, name)
    before = domain_result(current) if current else None

    if params["state"] == "absent":
        if current is not None and not scalingo.check_mode:
            client.delete(domains_path(app, current["id"]))
        scalingo.exit(changed=current is not None, scalingo_domain={},
                      diff=scalingo.make_diff(before, None, DIFF_KEYS))
        return

    body = changes(current, params, local)
    if current is None:
        if len(domains) >= MAX_DOMAINS:
            scalingo.fail("name: app %s already has %d domains, the most an app may have; remove one first, or ask "
                          "Scalingo's support for more" % (app, len(domains)))
        body["name"] = name
    changed = current is None or bool(body)
    if not changed:
        domain = current
    elif scalingo.check_mode or app_missing:
        domain = predicted(current, params, local)
    elif current is None:
        domain = (client.post(domains_path(app), json=dict(domain=body)).json or {}).get("domain") or {}
    else:
        domain = (client.patch(domains_path(app, current["id"]), json=dict(domain=body)).json or {}).get("domain") or {}

    if (params["wait_for_certificate"] and params["wait"] and not scalingo.check_mode and domain.get("id")
            and domain.get("letsencrypt_enabled") and not domain.get("ssl")):
        domain = wait_for_certificate(client, app, domain, params["wait_timeout"], params["poll_interval"])
    result = domain_result(domain)
    scalingo.exit(changed=changed, scalingo_domain=result, diff=scalingo.make_diff(before, result, DIFF_KEYS))


def main():
    run_module(ARGUMENT_SPEC, run, required_together=[("tls_cert", "tls_key")])


if __name__ == "__main__":
    main()
