"""One-off transactional texts (an approval link), outside any message."""

import logging

from portal.logs import mask_address
from portal.telephony import plivo_client

logger = logging.getLogger(__name__)


def send_text(to: str, text: str) -> None:
    """Send one SMS now through the provider; raises `ProviderError` on failure."""
    from flask import current_app

    from portal.delivery import throttle

    client = plivo_client.make_client()
    throttle.acquire("sms")
    accepted = plivo_client.create_message(
        client, src=current_app.config["PLIVO_CALLER_ID"], dst=to, text=text
    )
    logger.info(
        "transactional_sms_sent to=%s provider_id=%s",
        mask_address(to),
        accepted.provider_id,
    )
