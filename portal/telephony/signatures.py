"""Checking Plivo's V3 signatures on callbacks against our public URL.

The provider signs the exact URL it called (PUBLIC_BASE_URL + path + query)
and the posted fields. Behind a proxy `request.url` is not that URL, so we
rebuild it from PUBLIC_BASE_URL. Every argument to the SDK must be `str`.
"""

import logging

from flask import current_app, request
from plivo.utils.signature_v3 import validate_v3_signature

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Plivo-Signature-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"


def public_request_url() -> str:
    """The URL the provider called, as it saw it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode("utf-8", "replace")
    return base + request.path + (f"?{query}" if query else "")


def request_is_signed() -> bool:
    """True when the current request carries a valid V3 signature."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    nonce = request.headers.get(NONCE_HEADER, "")
    if not signature or not nonce:
        return False
    params = {str(k): str(v) for k, v in request.form.to_dict().items()}
    try:
        return bool(
            validate_v3_signature(
                str(request.method),
                public_request_url(),
                str(nonce),
                str(current_app.config["PLIVO_AUTH_TOKEN"]),
                str(signature),
                params if request.method == "POST" else None,
            )
        )
    except (ValueError, TypeError, AttributeError):  # malformed headers: 403
        logger.warning("signature_check_error endpoint=%s", request.endpoint)
        return False


def sign(method: str, url: str, params: dict, auth_token: str, nonce: str) -> str:
    """The V3 signature the provider would send (for tests and the sandbox)."""
    from plivo.utils.signature_v3 import (
        construct_get_url,
        construct_post_url,
        get_signature_v3,
    )

    if method == "GET":
        base = construct_get_url(url, dict(params)).decode("utf-8")
    else:
        base = construct_post_url(url, dict(params)).decode("utf-8")
    return get_signature_v3(auth_token, base, nonce).decode("utf-8")
