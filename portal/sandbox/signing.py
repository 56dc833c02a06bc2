"""Sending callbacks the way Plivo does: form posts with V3 signatures.

The signature covers the exact URL the portal gave us, so the portal can
check it against its public address. `answer_base` only changes where the
request is sent (e.g. a public https address served on 127.0.0.1:5000),
never what is signed.
"""

import logging
import secrets
from urllib.parse import urlsplit, urlunsplit

from plivo.utils.signature_v3 import (
    construct_get_url,
    construct_post_url,
    get_signature_v3,
)

logger = logging.getLogger(__name__)


def signature_headers(method: str, url: str, params: dict, token: str) -> dict:
    """The `X-Plivo-Signature-V3` headers for a request to `url` with `params`."""
    nonce = str(secrets.randbelow(10**20)).zfill(20)
    if method.upper() == "GET":
        base = construct_get_url(url, dict(params))
    else:
        base = construct_post_url(url, dict(params))
    signature = get_signature_v3(token.encode(), base.decode(), nonce.encode())
    return {
        "X-Plivo-Signature-V3": signature.decode(),
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


def delivery_url(url: str, answer_base: str) -> str:
    """Where to send a request meant for `url` (its origin swapped if asked)."""
    if not answer_base:
        return url
    base = urlsplit(answer_base)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def send(session, method, url, params, settings, timeout=None):
    """Send one signed callback; returns the response or raises requests errors."""
    params = {key: str(value) for key, value in params.items()}
    headers = signature_headers(method, url, params, settings.auth_token)
    target = delivery_url(url, settings.answer_base)
    timeout = timeout or settings.callback_timeout
    if method.upper() == "GET":
        return session.get(target, params=params, headers=headers, timeout=timeout)
    return session.post(target, data=params, headers=headers, timeout=timeout)
