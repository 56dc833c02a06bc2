"""End of day and the calling window, including the days the clocks change."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import rules, schedule, sending, service
from portal.policy import Role
from tests.messaging.helpers import ready_message

LA = "America/Los_Angeles"
WINDOW = (time(8, 0), time(20, 0))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Spring forward (8 March 2026): 15:30 is PDT, UTC-7.
        (utc(2026, 3, 8, 17, 0), utc(2026, 3, 8, 22, 30)),
        # The day before: PST, UTC-8.
        (utc(2026, 3, 7, 17, 0), utc(2026, 3, 7, 23, 30)),
        # Fall back (1 November 2026): 15:30 is PST again.
        (utc(2026, 11, 1, 17, 0), utc(2026, 11, 1, 23, 30)),
        (utc(2026, 10, 31, 17, 0), utc(2026, 10, 31, 22, 30)),
        # Already past the end of day: it goes now.
        (utc(2026, 3, 9, 0, 0), utc(2026, 3, 9, 0, 0)),
    ],
)
def test_end_of_day_across_dst(now, expected):
    assert schedule.end_of_day(now, LA, time(15, 30)) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Saturday 21:00 PST -> Sunday 08:00 PDT (the clocks went forward).
        (utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 15, 0)),
        # Saturday 21:00 PDT -> Sunday 08:00 PST (the clocks went back).
        (utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 16, 0)),
        # 06:00 local -> 08:00 the same day.
        (utc(2026, 3, 10, 13, 0), utc(2026, 3, 10, 15, 0)),
        # Inside the window: unchanged.
        (utc(2026, 3, 10, 18, 0), utc(2026, 3, 10, 18, 0)),
        # 20:00 exactly is closed: the next morning.
        (utc(2026, 3, 11, 3, 0), utc(2026, 3, 11, 15, 0)),
    ],
)
def test_next_calling_window_opening_across_dst(moment, expected):
    assert schedule.next_opening(moment, LA, *WINDOW) == expected


def test_skipped_local_time_lands_after_the_gap():
    moment = schedule.local_to_utc(datetime(2026, 3, 8).date(), time(2, 30), LA)
    assert moment == utc(2026, 3, 8, 10, 30)  # 03:30 PDT


@pytest.fixture
def frozen(monkeypatch):
    """Fix the portal's clock at a given UTC moment."""

    def freeze(moment):
        monkeypatch.setattr("portal.clock.now", lambda: moment)

    return freeze


def not_befores(message_id):
    return set(
        db.session.scalars(
            select(Delivery.not_before).where(Delivery.message_id == message_id)
        )
    )


def test_outreach_sent_at_night_waits_for_the_window(person, school, families, frozen):
    principal = person(Role.PRINCIPAL)
    families(count=1)
    message = ready_message(principal, building=school)
    frozen(utc(2026, 3, 8, 5, 0))  # Saturday 21:00 PST
    sending.send(message.id, principal.id)
    assert not_befores(message.id) == {utc(2026, 3, 8, 15, 0)}


def test_email_is_not_held_by_the_calling_window(person, school, make, frozen):
    principal = person(Role.PRINCIPAL)
    make.staff(school)
    message = ready_message(principal, building=school)
    audience = {"buildings": [school.id], "grades": "all", "groups": ["staff"]}
    service.edit_draft(message, principal, channels=["email"], audience=audience)
    frozen(utc(2026, 3, 8, 5, 0))
    sending.send(message.id, principal.id)
    assert not_befores(message.id) == {utc(2026, 3, 8, 5, 0)}


def test_emergency_ignores_the_window(person, school, families, frozen):
    principal = person(Role.PRINCIPAL)
    adviser = person(Role.ASSISTANT_SUPERINTENDENT)
    families(count=1)
    message = ready_message(
        principal, kind="emergency", building=school, situation="fire"
    )
    service.decide(message, adviser, rules.EMERGENCY_ADVICE, True)
    frozen(utc(2026, 3, 8, 5, 0))
    sending.send(message.id, principal.id)
    assert not_befores(message.id) == {utc(2026, 3, 8, 5, 0)}


def test_end_of_day_situation_is_scheduled_in_building_time(
    person, school, families, frozen
):
    principal = person(Role.PRINCIPAL)
    adviser = person(Role.ASSISTANT_SUPERINTENDENT)
    families(count=1)
    message = ready_message(
        principal, kind="emergency", building=school, situation="lockdown"
    )
    assert message.send_mode == schedule.END_OF_DAY
    service.decide(message, adviser, rules.EMERGENCY_ADVICE, True)
    frozen(utc(2026, 11, 1, 17, 0))  # 09:00 PST, the day the clocks went back
    sending.send(message.id, principal.id)
    db.session.expire_all()
    assert message.state == "scheduled"
    assert message.scheduled_for == utc(2026, 11, 1, 23, 30)
    assert not_befores(message.id) == {utc(2026, 11, 1, 23, 30)}


def test_date_and_time_from_the_compose_page(client, login, csrf, person, school):
    principal = person(Role.PRINCIPAL)
    message = ready_message(principal, building=school)
    login(principal)
    client.post(
        f"/messages/{message.id}/schedule",
        data={"send_mode": "at", "at": "2026-11-01T01:30"},
        headers=csrf | {"HX-Request": "true"},
    )
    db.session.expire_all()
    assert message.send_mode == "at"
    # 01:30 happens twice that night; the first (PDT) is taken.
    assert message.scheduled_for == utc(2026, 11, 1, 8, 30)
