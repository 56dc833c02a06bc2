"""Pointing the real plivo SDK at the sandbox, for the sandbox's own tests.

The SDK has no setting for its address, so a `requests` adapter mounted on
`https://api.plivo.com` rewrites each URL. The portal's production version
of this lives in `portal/telephony/plivo_client.py`; this one is for tests.
"""

from requests.adapters import HTTPAdapter

PLIVO_ORIGIN = "https://api.plivo.com"


class _Redirecting(HTTPAdapter):
    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def send(self, request, *args, **kwargs):
        if request.url.startswith(PLIVO_ORIGIN):
            request.url = self.base_url + request.url[len(PLIVO_ORIGIN) :]
        return super().send(request, *args, **kwargs)


def point_client_at(client, base_url: str):
    """Send every request of plivo `client` to `base_url`; returns the client."""
    adapter = _Redirecting(base_url)
    client.session.mount(PLIVO_ORIGIN, adapter)
    client.multipart_session.mount(PLIVO_ORIGIN, adapter)
    return client
