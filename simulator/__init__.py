"""A local simulator of the Scalingo API v1 (regional API, auth service, one-off attach).

Run it with `python3 -m simulator --port 8080` from a checkout, or `scalingo-simulator --port 8080`
once installed with pip; see simulator/README.md. Standard library only.
"""

# The version of the collection (galaxy.yml) it comes with; the package version reads it from here.
__version__ = "0.1.0"
