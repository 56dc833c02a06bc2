"""The plivo SDK, pointed at `PLIVO_API_URL`, with our own retry policy.

The SDK has no setting for its address: its base URLs are module constants.
We mount a `requests` adapter on `https://api.plivo.com` that rewrites each
request's URL to `PLIVO_API_URL` (the sandbox in development and tests).

The SDK also retries voice requests on 5xx by itself. A 500 may come after
the call was created, so a retry could dial a family twice; we start every
voice request with the SDK's retry counter already spent, so it sends once.
Build one client per job or thread: the SDK keeps that counter per client.
"""

import logging
from dataclasses import dataclass

import plivo
import requests
from flask import current_app
from plivo import exceptions as plivo_errors
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

PLIVO_ORIGIN = "https://api.plivo.com"
REQUEST_TIMEOUT = 10
# `Client.request` stops retrying once its counter passes 2 (plivo 4.63).
SPENT_VOICE_RETRIES = 2


class RewriteAdapter(HTTPAdapter):
    """Sends requests meant for api.plivo.com to another origin."""

    def __init__(self, target: str, **kwargs):
        super().__init__(**kwargs)
        self.target = target.rstrip("/")

    def send(self, request, *args, **kwargs):
        if request.url.startswith(PLIVO_ORIGIN):
            request.url = self.target + request.url[len(PLIVO_ORIGIN) :]
        return super().send(request, *args, **kwargs)


class ProviderError(Exception):
    """A provider request failed; `outcome` says what we know about it.

    outcome: "invalid" (the number is refused: permanent), "rejected"
    (refused before anything was created: safe to try later), "backoff"
    (429 or 5xx: nothing certain was created, try later), "unknown" (the
    request may have been accepted: never resend blindly).
    """

    def __init__(self, outcome: str, detail: str, http_status: int | None = None):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail[:200]
        self.http_status = http_status


@dataclass
class Accepted:
    """The provider accepted the request and gave this id."""

    provider_id: str


def make_client(config=None) -> plivo.RestClient:
    """A fresh SDK client for one job or thread."""
    config = config or current_app.config
    timeout = float(config.get("PLIVO_TIMEOUT_SECONDS", REQUEST_TIMEOUT))
    client = plivo.RestClient(
        config["PLIVO_AUTH_ID"], config["PLIVO_AUTH_TOKEN"], timeout=timeout
    )
    target = config["PLIVO_API_URL"].rstrip("/")
    if target != PLIVO_ORIGIN:
        adapter = RewriteAdapter(target, pool_maxsize=32)
        client.session.mount(PLIVO_ORIGIN, adapter)
        client.multipart_session.mount(PLIVO_ORIGIN, adapter)
    return client


def create_call(client, **params) -> Accepted:
    """Ask for one call; raises `ProviderError` with what we know."""
    client.voice_retry_count = SPENT_VOICE_RETRIES
    response = _guarded(client.calls.create, params)
    return Accepted(provider_id=str(response.request_uuid))


def create_message(client, **params) -> Accepted:
    """Ask for one text; raises `ProviderError` with what we know."""
    response = _guarded(client.messages.create, params)
    uuids = response.message_uuid
    return Accepted(provider_id=str(uuids[0] if isinstance(uuids, list) else uuids))


def _guarded(create, params: dict):
    try:
        return create(**params)
    except plivo_errors.ValidationError as error:
        raise ProviderError("invalid", str(error), 400) from error
    except (plivo_errors.AuthenticationError, plivo_errors.ForbiddenError) as error:
        raise ProviderError("rejected", str(error), 401) from error
    except plivo_errors.PlivoServerError as error:
        raise ProviderError("backoff", str(error), 500) from error
    except plivo_errors.PlivoRestError as error:
        raise ProviderError("backoff", str(error), _status_in(str(error))) from error
    except requests.ConnectTimeout as error:
        raise ProviderError("backoff", "connect timeout") from error
    except requests.ConnectionError as error:
        if _before_sending(error):
            raise ProviderError("backoff", "connection refused") from error
        raise ProviderError("unknown", "connection lost after sending") from error
    except requests.Timeout as error:
        raise ProviderError("unknown", "timeout after sending") from error


def _status_in(text: str) -> int | None:
    for word in text.replace('"', " ").split():
        if word.isdigit() and len(word) == 3:
            return int(word)
    return None


def _before_sending(error: requests.ConnectionError) -> bool:
    """True when the connection was never made (so nothing was sent)."""
    text = repr(error)
    return any(
        mark in text
        for mark in ("NewConnectionError", "Connection refused", "NameResolution")
    )
