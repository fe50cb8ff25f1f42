"""Regions: each region of catalog.REGIONS has its own regional API, with its own apps and projects.

The `simulator` region is served at the root of the port (`http://HOST:PORT/v1/...`), as it always
was, so clients given the simulator's URL as their API URL keep working on it. Every other region
is served under a prefix of its own: `http://HOST:PORT/regions/<name>/v1/...`. The auth service's
`GET /v1/regions` gives each region its `api` URL accordingly, which is how clients find a region's
API. Each region has its own `Store` (apps, operations, projects, one-offs): an app name is unique
in its region only, so two regions may hold apps of the same name.

What the regions share: the auth service and its bearers, the configuration, the rate-limit budget
of a token, the faults (matched on the full path, prefix included) and the request log (which
records the full path). The one-off attach endpoints (`/run/...`) serve the `simulator` region
only. With `--state-file PATH`, the region `<name>` is saved to `PATH.<name>`.
"""

import re

from . import catalog, projects
from .catalog import ApiError, invalid
from .state import Store

SIMULATOR_REGION = "simulator"
PREFIX = re.compile(r"/regions/(?P<region>[^/]+)(?P<rest>/.*)?")


class RegionView:
    """The simulator as seen from one region: its own `store`, everything else the simulator's. Route
    tables built over it (`server._routes(view)`, and every family's routes) serve that region."""

    def __init__(self, sim, store):
        self._sim = sim
        self.store = store

    def __getattr__(self, name):
        return getattr(self._sim, name)


class Regions:
    """The regions other than `simulator` (whose store is `sim.store`) and their routes."""

    def __init__(self, sim, build_routes, state_file=None):
        self.sim = sim
        self.stores = {}
        self.routes = {}
        for name, dummy, dummy in catalog.REGIONS:
            if name == SIMULATOR_REGION:
                continue
            store = Store(sim.config, "%s.%s" % (state_file, name) if state_file else None)
            self.stores[name] = store
            # the auth service answers at the root only
            self.routes[name] = [route for route in build_routes(RegionView(sim, store)) if route[3] != "auth"]

    @staticmethod
    def names():
        return [name for name, dummy, dummy in catalog.REGIONS]

    def store(self, name):
        """The store of a region (None or "" = the simulator region); 422 for an unknown region."""
        if name in (None, "", SIMULATOR_REGION):
            return self.sim.store
        if name not in self.stores:
            raise invalid("region", "should be one of %s" % ", ".join(self.names()))
        return self.stores[name]

    @staticmethod
    def api_url(base, name):
        return base if name == SIMULATOR_REGION else "%s/regions/%s" % (base, name)

    def listing(self, base, host):
        """The body of the auth service's GET /v1/regions."""
        regions = []
        for name, display, default in catalog.REGIONS:
            api = self.api_url(base, name)
            regions.append({"name": name, "display_name": display, "api": api, "database_api": api,
                            "dashboard": api + "/dashboard", "ssh": host + ":22", "default": default})
        return {"regions": regions}

    def split(self, req):
        """For a path under /regions/<name>: (routes, path inside the region), with `req.base` set to the
        region's API URL; None for any other path; 404 for an unknown region."""
        match = PREFIX.fullmatch(req.path)
        if match is None:
            return None
        name, rest = match.group("region"), match.group("rest") or "/"
        if name == SIMULATOR_REGION:
            routes = self.sim.routes
        elif name in self.routes:
            routes = self.routes[name]
        else:
            raise ApiError(404, {"error": "no region %s on this simulator (regions: %s)"
                                          % (name, ", ".join(self.names()))})
        req.base = self.api_url(req.base, name)
        return routes, rest

    def save_after(self, path):
        """Save the state file of the region a successful change went to (every region's after an
        admin request)."""
        if path == "/_sim" or path.startswith("/_sim/"):
            self.sim.store.save()
            self.save()
            return
        match = PREFIX.fullmatch(path)
        self.stores.get(match.group("region") if match else None, self.sim.store).save()

    def reset(self):
        for store in self.stores.values():
            store.reset()

    def save(self):
        for store in self.stores.values():
            store.save()

    def seed(self, body, default_owner, base):
        """Admin POST /_sim/apps: `region` picks the region (default `simulator`), `project` the
        project by name (created for the owner when missing; `project_id` still picks one by id)."""
        if not isinstance(body, dict):
            raise invalid("app", "missing field")
        spec = dict(body)
        region = spec.pop("region", None)
        project = spec.pop("project", None)
        if region is not None and not isinstance(region, str):
            raise invalid("region", "should be a string")
        store = self.store(region)
        if project is not None and (not isinstance(project, str) or not project.strip()):
            raise invalid("project", "should be the name of a project")
        with store.lock:
            if project is not None:
                record = projects.named(store, spec.get("owner") or default_owner, project.strip())
                spec["project_id"] = record["id"]
            app = store.seed_app(spec, default_owner)
            return store.app_view(app, self.api_url(base, region or SIMULATOR_REGION))

    def snapshot(self, name):
        return self.store(name).snapshot()
