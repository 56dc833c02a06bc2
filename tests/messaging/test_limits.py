"""Outreach and fundraising limits, what is left, and overrides."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from portal import clock, district_settings
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import limits, rules, sending, service
from portal.policy import Role
from tests.messaging.helpers import ready_message


def set_limit(key, value):
    district_settings.put(key, value, by="test")
    db.session.commit()


def test_outreach_limit_counts_per_household_and_needs_override(
    person, school, families
):
    set_limit("outreach_per_household_7d", 2)
    principal = person(Role.PRINCIPAL)
    superintendent = person(Role.SUPERINTENDENT)
    families(count=2)
    for _ in range(2):
        first = ready_message(principal, building=school)
        status = limits.outreach_status(first)
        assert not status.over
        sending.send(first.id, principal.id)

    third = ready_message(principal, building=school)
    status = limits.outreach_status(third)
    assert (status.limit, status.used, status.left) == (2, 2, 0)
    assert status.households_at_limit == 2
    assert status.over
    assert rules.LIMIT_OVERRIDE in service.required(third)
    with pytest.raises(service.NotReady, match="limit override"):
        sending.send(third.id, principal.id)

    with pytest.raises(service.NotAllowed):
        service.decide(third, principal, rules.LIMIT_OVERRIDE, True, "please")
    with pytest.raises(service.NotReady):
        service.decide(third, superintendent, rules.LIMIT_OVERRIDE, True, "")
    service.decide(third, superintendent, rules.LIMIT_OVERRIDE, True, "Graduation")
    assert third.limit_override_reason == "Graduation"
    assert sending.send(third.id, principal.id) == 4


def test_outreach_older_than_seven_days_does_not_count(person, school, families):
    set_limit("outreach_per_household_7d", 1)
    principal = person(Role.PRINCIPAL)
    families(count=1)
    old = ready_message(principal, building=school)
    sending.send(old.id, principal.id)
    next_one = ready_message(principal, building=school)
    assert limits.is_over(next_one)
    eight_days_ago = clock.now() - timedelta(days=8)
    db.session.execute(
        update(Delivery)
        .where(Delivery.message_id == old.id)
        .values(not_before=eight_days_ago, created_at=eight_days_ago)
    )
    db.session.commit()
    assert not limits.is_over(next_one)


def test_cancelled_outreach_does_not_count(person, school, families):
    set_limit("outreach_per_household_7d", 1)
    principal = person(Role.PRINCIPAL)
    families(count=1)
    scheduled = ready_message(principal, building=school)
    later = clock.now() + timedelta(days=1)
    service.edit_draft(scheduled, principal, send_mode="at", scheduled_for=later)
    sending.send(scheduled.id, principal.id)
    second = ready_message(principal, building=school)
    assert limits.is_over(second)
    sending.cancel(scheduled.id, principal.id)
    assert not limits.is_over(second)


def test_fundraising_limit_per_building(person, school, other_school, families):
    set_limit("fundraising_per_building_30d", 1)
    set_limit("outreach_per_household_7d", 50)
    principal = person(Role.PRINCIPAL)
    families(count=1)
    first = ready_message(principal, building=school, category="fundraising")
    sending.send(first.id, principal.id)

    second = ready_message(principal, building=school, category="fundraising")
    status = limits.fundraising_status(second)
    assert (status.used, status.left, status.over) == (1, 0, True)
    assert limits.is_over(second)
    event = ready_message(principal, building=school, category="school_event")
    assert not limits.is_over(event)
    elsewhere = ready_message(
        person(Role.PRINCIPAL, building=other_school),
        building=other_school,
        category="fundraising",
    )
    assert not limits.fundraising_status(elsewhere).over


def test_emergencies_are_never_capped(person, school, families):
    set_limit("outreach_per_household_7d", 0)
    principal = person(Role.PRINCIPAL)
    families(count=1)
    message = ready_message(principal, kind="emergency", building=school)
    assert limits.statuses(message) == []
    assert rules.LIMIT_OVERRIDE not in service.required(message)


def test_compose_page_shows_what_is_left(client, login, person, school, families):
    set_limit("outreach_per_household_7d", 3)
    principal = person(Role.PRINCIPAL)
    families(count=1)
    sending.send(ready_message(principal, building=school).id, principal.id)
    draft = ready_message(principal, building=school)
    login(principal)
    page = client.get(f"/messages/{draft.id}/compose")
    assert b"1 of 3 used, 2 left" in page.data
