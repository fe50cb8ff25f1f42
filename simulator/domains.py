"""Domains and their certificates (reference/scalingo_api/domains.md). Standard library only; see families.py for the interface."""

CONFIG = {}


def routes(sim):
    return []


def admin(sim, req):
    return None
