"""Designees lapse by themselves; training is annual and can gate composing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock, district_settings
from portal.accounts import access, training
from portal.accounts.models import PortalUser
from portal.extensions import db
from portal.policy import Role
from tests.accounts.helpers import fulfil, latest_request, submit
from tests.conftest import csrf_token


@pytest.mark.parametrize(
    ("requester", "role", "building", "capability"),
    [
        ("principal", "principal_designee", True, "messages.compose"),
        ("superintendent", "superintendent_designee", False, "messages.approve"),
    ],
)
def test_designee_role_ends_by_itself(
    requester, role, building, capability, app, client, csrf, login, make,
    district, smtp, monkeypatch,
):  # fmt: skip
    person = make.staff(district["lakeview"])
    today = clock.today()
    login(district[requester])
    response = submit(
        client, csrf, staff_member_id=person.id, role=role,
        building_id=district["lakeview"].id if building else None,
        ends_on=today.isoformat(),
    )  # fmt: skip
    assert response.status_code == 302
    it_client = app.test_client()
    login(district["it"], it_client)
    fulfil(it_client, {"X-CSRFToken": csrf_token(it_client)}, latest_request(app).id)

    user = db.session.scalar(
        select(PortalUser).where(PortalUser.staff_member_id == person.id)
    )
    assert access.holds(user, capability)
    home = app.test_client()
    login(user, home)
    assert f"until {today.isoformat()}".encode() in home.get("/").data
    page = it_client.get(f"/people/{user.id}")
    assert today.isoformat().encode() in page.data

    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=1))
    assert not access.holds(user, capability)
    assert not access.holds(user, "home")


def test_designee_starting_later_is_not_in_force_yet(make, district, monkeypatch):
    user = make.user()
    start = clock.today() + timedelta(days=3)
    from portal.accounts import history

    history.grant(
        user, Role.PRINCIPAL_DESIGNEE, district["lakeview"].id, district["it"],
        starts_on=start, ends_on=start + timedelta(days=5),
    )  # fmt: skip
    db.session.commit()
    assert not access.holds(user, "messages.compose")
    monkeypatch.setattr(clock, "today", lambda: start)
    assert access.holds(user, "messages.compose")


def _trained(user, on: date):
    training.record_session(on, "Annual portal training", [user.id])
    db.session.commit()


@pytest.mark.parametrize(
    ("days_ago", "current"),
    [(None, False), (30, True), (364, True), (365, False), (800, False)],
)
def test_training_is_current_for_twelve_months(days_ago, current, make, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 3))
    user = make.user(Role.PRINCIPAL_DESIGNEE, building=make.building())
    if days_ago is not None:
        _trained(user, date(2026, 12, 3) - timedelta(days=days_ago))
    assert training.is_current(user) is current
    due = [row["user"].id for row in training.roster(only_due=True)]
    assert (user.id in due) is (not current)


def test_leap_day_training_falls_due_on_28_february():
    assert training.due_on(date(2024, 2, 29)) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("required", "trained", "allowed"),
    [(False, False, True), (True, False, False), (True, True, True)],
)
def test_compose_gate_follows_the_setting(
    required, trained, allowed, app, make, monkeypatch
):
    user = make.user(Role.PRINCIPAL, building=make.building())
    district_settings.put(training.SETTING, required, "test")
    db.session.commit()
    if trained:
        _trained(user, clock.today())
    monkeypatch.setattr(training, "current_user", user)

    @training.require_current_training
    def compose():
        return "compose page"

    with app.test_request_context("/messages/new"):
        result = compose()
    assert training.may_compose(user) is allowed
    if allowed:
        assert result == "compose page"
    else:
        body, status = result
        assert status == 403
        assert "training" in body


def test_it_records_a_session_and_sees_who_is_due(
    app, client, csrf, login, make, district
):
    login(district["it"])
    response = client.post(
        "/training/sessions/new",
        data={"held_on": clock.today().isoformat(), "topic": "Portal basics",
              "attendees": [district["principal"].id]},
        headers=csrf,
    )  # fmt: skip
    assert response.status_code == 302
    due = client.get("/training/?due=1").get_data(as_text=True)
    assert "Sam Super" in due
    assert "Pat Lee" not in due
    csv_text = client.get("/training/due.csv").get_data(as_text=True)
    assert "super@d.example" in csv_text
    future = client.post(
        "/training/sessions/new",
        data={"held_on": "2999-01-01", "topic": "Later"},
        headers=csrf,
    )
    assert future.status_code == 422
