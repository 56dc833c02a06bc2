"""Run the Plivo sandbox: `python -m scripts.plivo_sandbox --port 5055`.

The portal reaches it through `PLIVO_API_URL=http://127.0.0.1:5055`. The
auth id and token default to the portal's `PLIVO_AUTH_ID`/`PLIVO_AUTH_TOKEN`
(from the environment or `.env`), the limits to `PLIVO_CALLS_PER_SECOND` and
`PLIVO_MESSAGES_PER_SECOND`. Everything can be changed later with
`POST /sandbox/config`. See docs/sandbox.md.
"""

import argparse
import contextlib
import logging

from dotenv import load_dotenv

from portal.config import Config
from portal.sandbox.server import SandboxServer, serve_gunicorn
from portal.sandbox.settings import SandboxSettings


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--answer-base",
        default="",
        help="send callbacks to this origin instead of the URL's own "
        "(the signature still covers the URL the portal gave)",
    )
    parser.add_argument(
        "--inbound-sms-url",
        default="",
        help="the portal's URL for texts from phones (STOP, START, HELP)",
    )
    parser.add_argument("--calls-per-second", type=float)
    parser.add_argument("--messages-per-second", type=float)
    parser.add_argument("--api-limit", type=int, help="requests per window; 0 = off")
    parser.add_argument("--api-window", type=float, help="seconds (default 5)")
    parser.add_argument("--no-callbacks", action="store_true")
    parser.add_argument("--callback-threads", type=int)
    parser.add_argument("--fault-rate", type=float)
    parser.add_argument("--number-faults", action="store_true")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--server",
        choices=["gunicorn", "werkzeug"],
        default="gunicorn",
        help="gunicorn (one gthread worker, faster) or werkzeug's threaded server",
    )
    parser.add_argument("--threads", type=int, default=64, help="gunicorn threads")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace, config: Config) -> SandboxSettings:
    """Sandbox settings from the portal's config and the command line."""
    settings = SandboxSettings(
        auth_id=config.PLIVO_AUTH_ID,
        auth_token=config.PLIVO_AUTH_TOKEN,
        calls_per_second=config.PLIVO_CALLS_PER_SECOND,
        messages_per_second=config.PLIVO_MESSAGES_PER_SECOND,
        portal_number=config.PLIVO_CALLER_ID,
    )
    given = {
        "answer_base": args.answer_base,
        "inbound_sms_url": args.inbound_sms_url,
        "calls_per_second": args.calls_per_second,
        "messages_per_second": args.messages_per_second,
        "api_limit": args.api_limit,
        "api_window_seconds": args.api_window,
        "callback_threads": args.callback_threads,
        "fault_rate": args.fault_rate,
        "seed": args.seed,
    }
    settings.update({k: v for k, v in given.items() if v not in (None, "")})
    if args.no_callbacks:
        settings.update({"callbacks": False})
    if args.number_faults:
        settings.update({"number_faults": True})
    return settings


def main(argv=None) -> None:
    load_dotenv()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    args = parse_args(argv)
    settings = settings_from(args, Config.from_env())
    print(
        f"plivo sandbox on http://{args.host}:{args.port} server={args.server} "
        f"calls_per_second={settings.calls_per_second} "
        f"callbacks={settings.callbacks}",
        flush=True,
    )
    if args.server == "gunicorn":
        serve_gunicorn(settings, args.host, args.port, args.threads)
        return
    server = SandboxServer(settings, host=args.host, port=args.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
