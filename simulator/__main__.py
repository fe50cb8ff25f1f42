"""`python3 -m simulator` (or `scalingo-simulator` once installed): serve the simulated Scalingo API on 127.0.0.1."""

import argparse
import json
import signal
import sys
import threading

from . import __version__
from .auth import DEFAULT_EMAIL, DEFAULT_TOKEN
from .server import Simulator
from .state import Config


def _token(value):
    token, dummy, email = value.partition("=")
    if not token:
        raise argparse.ArgumentTypeError("empty token")
    return token, email or DEFAULT_EMAIL


def _fault(value):
    try:
        spec = json.loads(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError("not JSON: %s" % error)
    if not isinstance(spec, dict):
        raise argparse.ArgumentTypeError("a fault is a JSON object")
    return spec


def _setting(text):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME=VALUE")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def parse_args(argv=None, prog="scalingo-simulator"):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Local simulator of the Scalingo API v1: regional API, auth service and one-off "
                    "attach on one port. Admin API under /_sim/. See simulator/README.md.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free port)")
    parser.add_argument("--token", action="append", type=_token, metavar="TOKEN[=EMAIL]",
                        help="accepted API token and its user's email, repeatable (default: %s for %s)"
                             % (DEFAULT_TOKEN, DEFAULT_EMAIL))
    parser.add_argument("--operation-duration", type=float, default=3.0, metavar="SECONDS",
                        help="how long scale, restart and one-off start operations take (default 3)")
    parser.add_argument("--rate-limit", type=int, default=60, metavar="N",
                        help="requests per minute per API token on the regional API, 0 = off (default 60)")
    parser.add_argument("--bearer-lifetime", type=int, default=3600, metavar="SECONDS",
                        help="validity of the bearers the token exchange issues (default 3600)")
    parser.add_argument("--free-plan", action="store_true",
                        help="the account has no payment method: 402 on a second app")
    parser.add_argument("--never-deployed", action="store_true", help="new apps have no formation")
    parser.add_argument("--detached-duration", type=float, default=30.0, metavar="SECONDS",
                        help="how long an unscripted detached one-off stays in /ps (default 30)")
    parser.add_argument("--attach-timeout", type=float, default=1800.0, metavar="SECONDS",
                        help="inactivity timeout of attached one-offs (default 1800)")
    parser.add_argument("--state-file", metavar="PATH", help="JSON state, loaded at start, saved on changes")
    parser.add_argument("--request-log", metavar="PATH", help="append every request as a JSON line")
    parser.add_argument("--fault", action="append", type=_fault, default=[], metavar="JSON",
                        help="inject a fault at start (same JSON as POST /_sim/faults), repeatable")
    parser.add_argument("--set", action="append", type=_setting, default=[], metavar="NAME=VALUE",
                        help="any setting of POST /_sim/config (JSON value, e.g. addon_duration=0.5), repeatable")
    parser.add_argument("--verbose", action="store_true", help="print one line per request on stderr")
    parser.add_argument("--version", action="version", version=__version__)
    return parser.parse_args(argv)


def main(argv=None, prog="scalingo-simulator"):
    """Run the simulator until SIGTERM or SIGINT; the exit status. The `scalingo-simulator` command."""
    args = parse_args(argv, prog)
    config = Config(rate_limit=max(0, args.rate_limit), operation_duration=max(0.0, args.operation_duration),
                    bearer_lifetime=max(1, args.bearer_lifetime), free_plan=args.free_plan,
                    never_deployed=args.never_deployed, detached_duration=max(0.0, args.detached_duration),
                    attach_timeout=max(0.1, args.attach_timeout))
    try:
        config.update(dict(args.set))
    except Exception as error:  # ApiError: refused as POST /_sim/config would
        sys.stderr.write("invalid --set: %s\n" % getattr(error, "body", error))
        return 2
    try:
        sim = Simulator(config, dict(args.token or [(DEFAULT_TOKEN, DEFAULT_EMAIL)]), args.state_file,
                        args.request_log)
        sim.store.save()
    except (OSError, ValueError) as error:
        sys.stderr.write("cannot use the state file %s: %s\n" % (args.state_file, error))
        return 2
    for spec in args.fault:
        try:
            sim.add_fault(spec)
        except Exception as error:  # ApiError: the spec is refused as the admin API would
            sys.stderr.write("invalid --fault %s: %s\n" % (json.dumps(spec), getattr(error, "body", error)))
            return 2
    try:
        server = sim.serve(args.host, args.port, args.verbose)
    except OSError as error:
        sys.stderr.write("cannot listen on %s:%d: %s\n" % (args.host, args.port, error))
        return 1
    print("Scalingo API simulator listening on http://%s:%d" % (args.host, server.server_address[1]), flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    sim.store.save()
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python3 -m simulator"))
