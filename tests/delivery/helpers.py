"""Building messages and delivery rows for delivery tests."""

from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging.models import Message, MessageVariant


def message(kind="outreach", building=None, channels=("phone",), **fields):
    """An approved message with an English variant."""
    row = Message(
        kind=kind,
        building_id=building.id if building else None,
        title=fields.pop("title", f"{kind} test"),
        channels=list(channels),
        state=fields.pop("state", "sending"),
        **fields,
    )
    row.variants.append(
        MessageVariant(language="en", subject="Notice", text="Hello from school.")
    )
    db.session.add(row)
    db.session.commit()
    return row


def deliveries(msg, addresses, channel="phone", **fields):
    """One pending delivery per address; returns their ids."""
    fields.setdefault("building_id", msg.building_id)
    rows = [
        Delivery(message_id=msg.id, channel=channel, address=address, **fields)
        for address in addresses
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]
