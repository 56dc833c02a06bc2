"""Simulated texts: signed status callbacks in order (or swapped), failures
with error codes, and phones texting STOP/HELP back to the portal."""

import pytest
import requests
from plivo.utils import validate_v3_signature

CALLER = "+12535550100"


def _send(client, receiver, dst):
    return client.messages.create(
        src=CALLER, dst=dst, text="Early release today.", url=receiver.url("/sms")
    )


def _statuses(sandbox_server, receiver, count):
    return sandbox_server.wait_for(
        lambda: len(receiver.received("/sms")) >= count and receiver.received("/sms")
    )


def test_status_callbacks_queued_sent_delivered(plivo_client, sandbox_server, receiver):
    response = _send(plivo_client, receiver, "+12535550123")
    hits = _statuses(sandbox_server, receiver, 3)

    forms = [hit["form"] for hit in hits]
    assert [f["Status"] for f in forms] == ["queued", "sent", "delivered"]
    assert [f["Sequence"] for f in forms] == ["1", "2", "3"]
    assert {f["MessageUUID"] for f in forms} == set(response.message_uuid)
    for hit in hits:
        assert validate_v3_signature(
            "POST",
            hit["url"],
            hit["nonce"],
            sandbox_server.auth_token,
            hit["signature"],
            hit["form"],
        )
    sandbox_server.wait_idle()
    message = plivo_client.messages.get(response.message_uuid[0])
    assert message.message_state == "delivered"


@pytest.mark.parametrize(
    ("dst", "statuses", "code"),
    [
        ("+12535550190", ["queued", "failed"], "50"),
        ("+12535550193", ["queued", "sent", "undelivered"], "70"),
    ],
)
def test_bad_numbers_fail_with_an_error_code(
    plivo_client, sandbox_server, receiver, dst, statuses, code
):
    response = _send(plivo_client, receiver, dst)
    hits = _statuses(sandbox_server, receiver, len(statuses))

    assert [h["form"]["Status"] for h in hits] == statuses
    assert hits[-1]["form"]["ErrorCode"] == code
    sandbox_server.wait_idle()
    message = plivo_client.messages.get(response.message_uuid[0])
    assert message.error_code == code


def test_out_of_order_callbacks_keep_their_sequence(
    plivo_client, sandbox_server, receiver
):
    sandbox_server.configure(sms_out_of_order=True)
    response = _send(plivo_client, receiver, "+12535550123")
    hits = _statuses(sandbox_server, receiver, 3)

    assert [h["form"]["Status"] for h in hits] == ["queued", "delivered", "sent"]
    assert [h["form"]["Sequence"] for h in hits] == ["1", "3", "2"]
    sandbox_server.wait_idle()
    assert sandbox_server.phone("+12535550123")[0]["status"] == "delivered"
    assert response.message_uuid


def test_a_phone_texts_stop_to_the_portal(sandbox_server, receiver):
    sandbox_server.configure(inbound_sms_url=receiver.url("/inbound"))

    result = requests.post(
        f"{sandbox_server.base_url}/sandbox/phones/+12535550123/text",
        json={"text": "STOP"},
        timeout=5,
    ).json()

    assert result["status"] == 200
    assert result["reply"] == "Reply HELP for help."
    hit = receiver.received("/inbound")[0]
    assert hit["form"]["Text"] == "STOP"
    assert hit["form"]["From"] == "12535550123"
    assert hit["form"]["To"] == "12535550100"
    assert validate_v3_signature(
        "POST",
        hit["url"],
        hit["nonce"],
        sandbox_server.auth_token,
        hit["signature"],
        hit["form"],
    )
    event = sandbox_server.phone("+12535550123")[0]
    assert event["direction"] == "inbound"
    assert event["text"] == "STOP"


def test_texting_without_an_inbound_url_is_a_400(sandbox_server):
    response = requests.post(
        f"{sandbox_server.base_url}/sandbox/phones/12535550123/text",
        json={"text": "HELP"},
        timeout=5,
    )

    assert response.status_code == 400
    assert "inbound_sms_url" in response.json()["error"]
