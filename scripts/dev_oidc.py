"""The local OpenID provider for development (oidc-provider-mock).

Serves on the address of `OIDC_ISSUER` (http://127.0.0.1:9400 by default)
and offers every active portal user of that issuer as a one-click sign-in,
with their `sub`, `email` and `name` claims. Any other subject typed on its
page signs in too, which is how "no portal account" can be tried.
"""

import contextlib
import logging
import os
import sys
import warnings
from urllib.parse import urlsplit

from authlib.deprecate import AuthlibDeprecationWarning
from dotenv import load_dotenv
from werkzeug.serving import make_server

logger = logging.getLogger("scripts.dev_oidc")


def demo_claims(issuer: str) -> list:
    """The portal users of `issuer`, read from the portal's database."""
    from oidc_provider_mock import User

    from portal import create_app
    from portal.accounts import demo

    with create_app().app_context():
        claims = demo.claims_for(issuer)
    return [
        User(sub=c["sub"], claims={k: v for k, v in c.items() if k != "sub"})
        for c in claims
    ]


def main() -> int:
    load_dotenv()
    issuer = os.environ.get("OIDC_ISSUER", "http://127.0.0.1:9400")
    address = urlsplit(issuer)
    # The provider speaks plain HTTP on the loopback address only.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

    # oidc-provider-mock 0.3.4 imports Authlib modules Authlib now deprecates.
    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
    from oidc_provider_mock import app as provider_app

    users = demo_claims(issuer)
    server = make_server(
        address.hostname or "127.0.0.1",
        address.port or 9400,
        provider_app(user_claims=users),
        threaded=True,
    )
    logger.info("oidc_provider_started issuer=%s users=%s", issuer, len(users))
    print(f"OpenID provider on {issuer} with {len(users)} demo users", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
