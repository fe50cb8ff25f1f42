"""Deployments and sources (reference/scalingo_api/deployments.md, sources.md). Standard library only; see families.py for the interface."""

CONFIG = {}


def routes(sim):
    return []


def admin(sim, req):
    return None
