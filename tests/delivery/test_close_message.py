"""A scheduled message reads "sent" once all its deliveries are final."""

from portal.delivery import engine
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging.models import Message


def _message_with(state: str, delivery_states: list[str]) -> Message:
    message = Message(kind="outreach", title="Picture day", state=state)
    db.session.add(message)
    db.session.flush()
    for n, delivery_state in enumerate(delivery_states):
        db.session.add(
            Delivery(
                message_id=message.id,
                channel="phone",
                address=f"+1253555010{n}",
                state=delivery_state,
            )
        )
    db.session.commit()
    return message


def test_scheduled_message_is_sent_when_every_delivery_is_final(app_ctx):
    message = _message_with("scheduled", ["answered", "voicemail"])
    engine.close_if_done(message.id)
    assert db.session.get(Message, message.id).state == "sent"


def test_message_with_open_deliveries_stays_scheduled(app_ctx):
    message = _message_with("scheduled", ["answered", "pending"])
    engine.close_if_done(message.id)
    assert db.session.get(Message, message.id).state == "scheduled"
