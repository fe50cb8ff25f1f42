"""A local simulator of the Scalingo API v1 (regional API, auth service, one-off attach).

Run it with `python3 -m simulator --port 8080`; see simulator/README.md. Standard library only.
"""

__version__ = "1.0.0"
