"""The API families beyond apps, formations and one-offs, one module each (like `plugins/module_utils`).

Each family module offers:

- `CONFIG`: `{setting: (type, default)}`, settings that join `Config` (`POST /_sim/config`, `--set NAME=VALUE`);
- `routes(sim)`: a list of `(method, pattern, handler, kind)` rows, as in `server._routes` (`kind` is
  `"regional"` for the rate-limited, authenticated regional API, `"auth"` for the auth service, `"public"`
  for regional paths that need no bearer);
- `admin(sim, req)`: the `Response` of one of its `/_sim/...` admin calls, or None when the path is not its own.

A family keeps its data in the app records (`app.setdefault("<key>", ...)`, so that reset, deletion and the
state file cover it) or in `sim.store.extra[<family>]` for data outside apps (cleared on reset).
"""

from . import addons, collaborators, deployments, domains, environment

FAMILIES = (environment, addons, deployments, domains, collaborators)


def config_fields():
    """`{setting: (type, default)}` of every family."""
    fields = {}
    for family in FAMILIES:
        fields.update(getattr(family, "CONFIG", {}))
    return fields
