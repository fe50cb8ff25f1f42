"""Print, as JSON, the environment AWX gives a job or an inventory update for a credential of the
type in docs/awx/scalingo_credential_type.yml: usage ``awx_env.py CREDENTIAL_TYPE_FILE INPUTS_JSON``.

As AWX does at run time: each injector template is rendered in Jinja2's immutable sandbox over the
inputs the credential fills in, the empty ones left out (the same rendering as
tests/unit/test_awx_credential_type.py)."""

from __future__ import annotations

import json
import sys

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment


def main(path, inputs):
    with open(path) as handle:
        credential_type = yaml.safe_load(handle)["credential_types"][0]
    namespace = dict((key, value) for key, value in json.loads(inputs).items() if len(value))
    sandbox = ImmutableSandboxedEnvironment()
    env = dict((name, sandbox.from_string(template).render(**namespace))
               for name, template in credential_type["injectors"]["env"].items())
    print(json.dumps(env, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
