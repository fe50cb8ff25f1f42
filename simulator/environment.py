"""Environment variables of an app (reference/scalingo_api/environment.md). Standard library only; see families.py for the interface."""

CONFIG = {}


def routes(sim):
    return []


def admin(sim, req):
    return None
