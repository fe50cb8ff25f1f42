"""Addons and addon providers (reference/scalingo_api/addons.md, addon_providers.md). Standard library only; see families.py for the interface."""

CONFIG = {}


def routes(sim):
    return []


def admin(sim, req):
    return None
