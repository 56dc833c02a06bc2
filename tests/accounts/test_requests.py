"""Account requests: submit → fulfil → access, for every role."""

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.accounts import access
from portal.accounts.history import AccessChange
from portal.accounts.models import PortalUser, UserSession
from portal.accounts.requests import AccountRequest
from portal.extensions import db
from portal.policy import CAPABILITIES, DISTRICT_ROLES, ROLE_LABELS, Role
from tests.accounts.helpers import fulfil, latest_request, submit
from tests.conftest import csrf_token
from tests.query_count import page_statements


def _it_client(app, login, it_admin):
    it_client = app.test_client()
    login(it_admin, it_client)
    return it_client, {"X-CSRFToken": csrf_token(it_client)}


@pytest.mark.parametrize("role", list(Role))
def test_request_fulfil_grants_the_role(
    role, app, client, csrf, login, make, district, smtp
):
    school = district["lakeview"]
    person = make.staff(school, email="New.Person@District.example")
    login(district["superintendent"])
    building_id = None if role in DISTRICT_ROLES else school.id
    ends_on = "2099-06-30" if "designee" in role else ""

    response = submit(
        client, csrf, staff_member_id=person.id, role=role,
        building_id=building_id, ends_on=ends_on,
    )  # fmt: skip
    assert response.status_code == 302
    req = latest_request(app)
    it_client, it_csrf = _it_client(app, login, district["it"])
    response = fulfil(it_client, it_csrf, req.id, comment="Done")
    assert response.status_code == 302, response.data[-900:]

    with app.app_context():
        user = db.session.scalar(
            select(PortalUser).where(PortalUser.staff_member_id == person.id)
        )
        assert user.subject == "new.person@district.example"
        assert user.issuer == app.config["OIDC_ISSUER"]
        for capability, roles in CAPABILITIES.items():
            assert access.holds(user, capability) == (role in roles), capability
    new_client = app.test_client()
    login(user, new_client)
    home = new_client.get("/")
    assert str(escape(ROLE_LABELS[role])).encode() in home.data
    assert len(smtp.messages) == 1
    rcpt, mail = smtp.messages[0]
    assert rcpt == ["super@d.example"]
    assert f"#{req.id}" in mail["Subject"]
    assert "fulfilled" in mail.get_body(("plain",)).get_content()


def test_principal_only_for_own_building_and_building_roles(
    client, csrf, login, make, district
):
    person = make.staff(district["lakeview"])
    login(district["principal"])

    other = submit(
        client, csrf, staff_member_id=person.id, role="attendance_clerk",
        building_id=district["hillside"].id,
    )  # fmt: skip
    assert other.status_code == 200  # the choice is not offered: form error
    district_role = submit(
        client, csrf, staff_member_id=person.id, role="superintendent_designee"
    )
    assert district_role.status_code == 200
    own = submit(
        client, csrf, staff_member_id=person.id, role="attendance_clerk",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    assert own.status_code == 302


def test_principal_offered_only_own_staff(client, login, make, district):
    mine = make.staff(district["lakeview"], last_name="Mine")
    theirs = make.staff(district["hillside"], last_name="Theirs")
    login(district["principal"])
    page = client.get("/accounts/requests/new")
    assert page.status_code == 200
    assert f'value="{mine.id}"'.encode() in page.data
    assert f'value="{theirs.id}"'.encode() not in page.data


@pytest.mark.parametrize(
    ("form", "field_error"),
    [
        ({"role": ""}, b"Choose a role."),
        ({"role": "principal"}, b"Choose the building for this role."),
        ({"role": "principal_designee", "building": True}, b"needs an end date"),
        (
            {"role": "principal_designee", "building": True, "ends_on": "2001-01-01"},
            b"before the start",
        ),
        ({"role": "it_admin", "building": True}, b"A district role has no building."),
        ({"kind": "change", "role": "office_staff", "building": True}, b"no portal"),
    ],
)
def test_request_validation(form, field_error, client, csrf, login, make, district):
    person = make.staff(district["lakeview"])
    login(district["superintendent"])
    if form.pop("building", False):
        form["building_id"] = district["lakeview"].id
    response = submit(client, csrf, staff_member_id=person.id, **form)
    assert response.status_code == 422
    assert field_error in response.data


def test_only_superintendent_names_superintendent_designee(
    client, csrf, login, make, district
):
    director = make.user(Role.COMMUNITY_RELATIONS_DIRECTOR)
    person = make.staff(district["lakeview"])
    login(director)
    response = submit(
        client, csrf, staff_member_id=person.id, role="superintendent_designee",
        ends_on="2099-01-01",
    )  # fmt: skip
    assert response.status_code == 200
    assert b"Not a valid choice" in response.data


def _account_with_role(app, make, district, role=Role.OFFICE_STAFF):
    person = make.staff(district["lakeview"])
    user = make.user(role, building=district["lakeview"], email=person.email)
    return person, user


def test_remove_deactivates_and_ends_sessions(
    app, client, csrf, login, make, district, smtp
):
    person, user = _account_with_role(app, make, district)
    user_client = app.test_client()
    login(user, user_client)
    assert user_client.get("/").status_code == 200
    login(district["principal"])

    submit(
        client, csrf, kind="remove", staff_member_id=person.id, role="",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    it_client, it_csrf = _it_client(app, login, district["it"])
    fulfil(it_client, it_csrf, latest_request(app).id)

    assert user_client.get("/").status_code == 302
    with app.app_context():
        stored = db.session.get(PortalUser, user.id)
        assert not stored.active
        live = db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        ).all()
        assert live == []
        changes = [c.change for c in db.session.scalars(select(AccessChange))]
        assert changes == ["role_ended", "account_deactivated"]


def test_change_replaces_the_building_role(app, client, csrf, login, make, district):
    person, user = _account_with_role(app, make, district)
    login(district["principal"])
    submit(
        client, csrf, kind="change", staff_member_id=person.id,
        role="attendance_clerk", building_id=district["lakeview"].id,
    )  # fmt: skip
    it_client, it_csrf = _it_client(app, login, district["it"])
    fulfil(it_client, it_csrf, latest_request(app).id)
    with app.app_context():
        stored = db.session.get(PortalUser, user.id)
        assert [r.role for r in stored.current_roles()] == ["attendance_clerk"]
        assert stored.active


def test_decline_needs_comment_and_tells_requester(
    app, client, csrf, login, make, district, smtp
):
    person = make.staff(district["lakeview"])
    login(district["principal"])
    submit(
        client, csrf, staff_member_id=person.id, role="office_staff",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    req = latest_request(app)
    it_client, it_csrf = _it_client(app, login, district["it"])
    url = f"/accounts/requests/{req.id}/decline"

    empty = it_client.post(url, data={"d-comment": ""}, headers=it_csrf)
    assert empty.status_code == 422
    done = it_client.post(
        url, data={"d-comment": "Use the shared login"}, headers=it_csrf
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(AccountRequest, req.id).status == "declined"
    assert smtp.messages[0][0] == ["pat@d.example"]
    assert "Use the shared login" in smtp.messages[0][1].get_body().get_content()
    mine = client.get("/accounts/requests")
    assert b"Use the shared login" in mine.data


def test_entered_subject_is_used_when_no_email(
    app, client, csrf, login, make, district, smtp
):
    person = make.staff(district["lakeview"], email=None)
    login(district["principal"])
    submit(
        client, csrf, staff_member_id=person.id, role="office_staff",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    req = latest_request(app)
    it_client, it_csrf = _it_client(app, login, district["it"])
    missing = fulfil(it_client, it_csrf, req.id)
    assert missing.status_code == 422
    done = fulfil(it_client, it_csrf, req.id, subject="00u1abcd")
    assert done.status_code == 302
    with app.app_context():
        user = db.session.scalar(
            select(PortalUser).where(PortalUser.subject == "00u1abcd")
        )
        assert user.staff_member_id == person.id


def test_person_page_shows_history(app, client, csrf, login, make, district, smtp):
    person = make.staff(district["lakeview"])
    login(district["principal"])
    submit(
        client, csrf, staff_member_id=person.id, role="principal_designee",
        building_id=district["lakeview"].id, ends_on="2099-06-30",
    )  # fmt: skip
    it_client, it_csrf = _it_client(app, login, district["it"])
    fulfil(it_client, it_csrf, latest_request(app).id)
    with app.app_context():
        user_id = db.session.scalar(
            select(PortalUser.id).where(PortalUser.staff_member_id == person.id)
        )
    page = it_client.get(f"/people/{user_id}")
    assert page.status_code == 200
    assert b"Account created" in page.data
    assert b"Role granted" in page.data
    assert b"2099-06-30" in page.data
    assert client.get(f"/people/{user_id}").status_code == 403


def test_person_page_shows_changes_made_outside_the_form(
    app, client, login, make, district
):
    from portal.accounts import audit

    user = make.user(Role.OFFICE_STAFF, building=district["lakeview"])
    audit.record("directory.staff_left", target=f"portal_user:{user.id}")
    db.session.commit()
    login(district["it"])
    page = client.get(f"/people/{user.id}")
    assert b"directory.staff_left" in page.data


def test_bootstrap_it_admin(app, make):
    from click.testing import CliRunner

    from portal.accounts.cli import bootstrap_it_admin

    runner = CliRunner()
    result = runner.invoke(
        bootstrap_it_admin, ["Ida@District.example", "--name", "Ida"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(
        select(PortalUser).where(PortalUser.subject == "ida@district.example")
    )
    assert access.holds(user, "accounts.fulfil")
    again = runner.invoke(bootstrap_it_admin, ["ida@district.example", "--name", "Ida"])
    assert again.exit_code == 1


def test_people_page_runs_the_same_statements_for_few_or_many_people(
    client, login, make, district
):
    login(district["it"])

    page_statements(client, "/people/")
    few = page_statements(client, "/people/")
    for n in range(15):
        make.user(
            Role.PRINCIPAL, building=district["hillside"], email=f"p{n}@d.example"
        )
    # One statement per person (their roles, their building) would add 15 or
    # more; the signed-in user may be reloaded once, as the test's app
    # context is shared with the requests.
    assert page_statements(client, "/people/") <= few + 2
