"""Building ready-to-send messages in tests."""

from portal.messaging import service
from tests.messaging.conftest import wav_bytes


def ready_message(user, *, kind="outreach", building=None, **fields):
    """A draft with English text and recording, to guardians by phone and SMS."""
    building_id = building.id if building is not None else None
    defaults = {"category": None, "situation": None}
    if kind == "outreach":
        defaults["category"] = "school_event" if building_id else "district_event"
    if kind == "emergency":
        defaults["situation"] = "other"
    defaults.update(fields)
    message = service.create_draft(
        user, kind=kind, building_id=building_id, title="Spring concert", **defaults
    )
    service.edit_draft(message, user, channels=["phone", "sms"])
    service.set_variant(message, user, "en", "Concert", "Concert on Friday at 6.")
    service.attach_recording(message, user, "en", wav_bytes())
    return message
