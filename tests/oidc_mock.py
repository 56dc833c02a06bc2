"""A real OpenID provider for tests (oidc-provider-mock in a thread).

`provider()` starts one; `sign_in(client, sub)` walks the whole flow: the
portal's sign-in form, the provider's login form (a real HTTP POST), and the
callback back into the portal's test client.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def provider(users: list[dict] | None = None) -> Iterator[str]:
    """Run a provider on a free port; yields its issuer URL."""
    from oidc_provider_mock import User, run_server_in_thread

    # The provider refuses plain HTTP unless told it is a test.
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    claims = [
        User(sub=u["sub"], claims={k: v for k, v in u.items() if k != "sub"})
        for u in users or []
    ]
    try:
        with run_server_in_thread(user_claims=claims) as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


def start(client) -> str:
    """Press "Sign in" on the portal; returns the provider's authorize URL."""
    page = client.get("/signin").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    response = client.post("/signin", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def authorize(authorize_url: str, sub: str) -> str:
    """Log in at the provider as `sub`; returns the portal callback path."""
    response = requests.post(
        authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text[:500]
    parts = urlsplit(response.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_in(client, sub: str):
    """The whole sign-in round trip; returns the portal's callback response."""
    callback = authorize(start(client), sub)
    return client.get(callback)
