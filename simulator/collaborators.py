"""Collaborators of an app (reference/scalingo_api/collaborators.md). Standard library only; see families.py for the interface."""

CONFIG = {}


def routes(sim):
    return []


def admin(sim, req):
    return None
