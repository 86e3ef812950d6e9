"""``vps-sim`` command line: start the simulator in the foreground."""

from __future__ import annotations

import argparse

from .app import create_app
from .server import serve
from .state import ADMIN_TOKEN, DEMO_TOKEN, Settings, SimState


def non_negative(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return number


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vps-sim", description="Local simulator of the VPS.org server API.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    p.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help=f"API token of one account; repeat for several accounts (default: {DEMO_TOKEN})",
    )
    p.add_argument("--db", default=":memory:", help="SQLite file that keeps state across restarts (default :memory:)")
    p.add_argument("--provision-delay", type=non_negative, default=3.0, help="seconds in provisioning (default 3)")
    p.add_argument(
        "--transition-delay", type=non_negative, default=1.0, help="seconds per power transition (default 1)"
    )
    p.add_argument("--admin-token", default=ADMIN_TOKEN, help=f"control-plane token (default {ADMIN_TOKEN})")
    p.add_argument(
        "--balance", type=non_negative, default=10_000.0, help="starting balance per account (default 10000.00)"
    )
    p.add_argument("--page-size-max", type=positive_int, default=100, help="largest page size served (default 100)")
    p.add_argument(
        "--echo-token",
        action="store_true",
        help="error answers repeat the request's Authorization header (to test that clients hide it)",
    )
    p.add_argument(
        "--rate-limit",
        type=non_negative,
        default=0.0,
        metavar="R",
        help="requests per second per API token, answered 429 beyond it like DRF throttles (default 0: no limit)",
    )
    p.add_argument(
        "--rate-burst",
        type=positive_int,
        metavar="B",
        help="requests a token may send at once before the rate applies (default: one second's worth)",
    )
    p.add_argument("--ready-file", help="write the URLs and tokens as JSON here once listening")
    p.add_argument("--ssl-certfile", help="serve HTTPS with this PEM certificate (chain); needs --ssl-keyfile")
    p.add_argument("--ssl-keyfile", help="PEM private key of --ssl-certfile")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return p


def main(argv=None) -> None:
    cli = parser()
    args = cli.parse_args(argv)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        cli.error("--ssl-certfile and --ssl-keyfile go together")
    if args.rate_burst is not None and not args.rate_limit:
        cli.error("--rate-burst needs --rate-limit")
    tokens = list(dict.fromkeys(args.tokens or [DEMO_TOKEN]))
    settings = Settings(
        tokens=tokens,
        db=args.db,
        provision_delay=args.provision_delay,
        transition_delay=args.transition_delay,
        admin_token=args.admin_token,
        balance=args.balance,
        page_size=min(20, args.page_size_max),
        page_size_max=args.page_size_max,
        echo_token=args.echo_token,
        rate_limit=args.rate_limit or None,
        rate_burst=args.rate_burst,
    )
    state = SimState(settings)
    try:
        serve(
            create_app(state=state),
            host=args.host,
            port=args.port,
            tokens=tokens,
            admin_token=args.admin_token,
            ready_file=args.ready_file,
            log_level=args.log_level,
            ssl=(args.ssl_certfile, args.ssl_keyfile) if args.ssl_certfile else None,
        )
    finally:
        state.storage.close()


if __name__ == "__main__":
    main()
