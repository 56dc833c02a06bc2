"""The daily contact log: scope per role, CSV safety, assignment, follow-up."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import select

from portal.accounts.models import AuditEvent
from portal.contacts.models import ContactProblem
from portal.contacts.service import open_problem_from_delivery
from portal.contacts.views import SECTION_ROWS
from portal.directory.models import ContactPoint
from portal.extensions import db
from portal.messaging.models import NoticeRecord
from portal.models_base import utcnow
from portal.policy import Role
from tests.query_count import counted_queries


def _switch(login, user):
    """Sign another user in: the test's app context caches the current user."""
    g.pop("_login_user", None)
    login(user)


def _problem(point, building, reason, days_ago=0, **fields):
    problem = ContactProblem(
        contact_point_id=point.id,
        building_id=building.id,
        source="import",
        reason=reason,
        opened_at=utcnow() - timedelta(days=days_ago),
        status="open",
        **fields,
    )
    db.session.add(problem)
    db.session.commit()
    return problem


def _point(reason, raw, **owner):
    point = ContactPoint(kind="mobile_phone", raw=raw, problem=reason, **owner)
    db.session.add(point)
    db.session.commit()
    return point


@pytest.fixture
def district(make):
    """Two schools, each with people, problems and the roles that see them."""
    lak = make.building("LAK", name="Lakeview Elementary")
    hil = make.building("HIL", name="Hillside Elementary")
    kid = make.student(lak, first_name="Ana", last_name="Ruiz")
    mom = make.guardian(kid, phone=None, first_name="=cmd|' /C calc'!A0")
    far = make.guardian(make.student(hil), phone=None, first_name="Hilda")
    teacher = make.staff(lak, first_name="Tess", employee_number="E000042")
    ns = SimpleNamespace(lak=lak, hil=hil, mom=mom, far=far, teacher=teacher)
    ns.new = _problem(
        _point("missing area code", "555-0134", guardian_id=mom.id),
        lak,
        "missing area code",
    )
    ns.old = _problem(
        _point("too short", "+1 253 555", guardian_id=mom.id),
        lak,
        "too short",
        days_ago=3,
    )
    ns.staff_problem = _problem(
        _point("too long", "253-555-012345", staff_member_id=teacher.id),
        lak,
        "too long",
        days_ago=1,
    )
    ns.other = _problem(
        _point("too short", "253-55", guardian_id=far.id), hil, "too short"
    )
    ns.principal = make.user(Role.PRINCIPAL, building=lak)
    ns.hil_ap = make.user(Role.ASSISTANT_PRINCIPAL, building=hil)
    ns.office = make.user(Role.OFFICE_STAFF, building=lak, email="office@d.example")
    ns.hil_office = make.user(Role.OFFICE_STAFF, building=hil)
    ns.superintendent = make.user(Role.SUPERINTENDENT)
    return ns


def test_principal_sees_own_building_only(client, login, district):
    login(district.principal)

    assert (
        client.get("/contacts/log")
        .headers["Location"]
        .endswith(f"/contacts/log/{district.lak.id}")
    )
    page = client.get(f"/contacts/log/{district.lak.id}")
    assert page.status_code == 200
    assert b"Ana Ruiz" in page.data
    assert b"New today (1)" in page.data
    assert b"Still open (2)" in page.data
    assert b"3 days ago" in page.data
    assert client.get(f"/contacts/log/{district.hil.id}").status_code == 404
    assert client.get(f"/contacts/log/{district.hil.id}.csv").status_code == 404


def test_district_roles_see_every_building_with_a_chart(client, login, district):
    login(district.superintendent)

    page = client.get("/contacts/log")

    assert page.status_code == 200
    assert b"<svg" in page.data
    assert b"Hillside Elementary" in page.data
    assert client.get(f"/contacts/log/{district.hil.id}").status_code == 200


def test_office_staff_see_only_what_is_assigned_to_them(client, login, district):
    district.new.assigned_to_id = district.office.id
    district.new.status = "assigned"
    db.session.commit()
    login(district.office)

    assert client.get("/contacts/log").status_code == 403
    mine = client.get("/contacts/mine")
    assert b"Lakeview Elementary" in mine.data
    assert mine.data.count(b"Record</button>") == 1


def test_viewing_the_log_is_audited(client, login, district):
    login(district.principal)
    client.get(f"/contacts/log/{district.lak.id}")

    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "contacts.log_viewed")
    )
    assert event.target == f"building:{district.lak.id}"


def test_csv_is_safe_against_formulas(client, login, district):
    login(district.principal)

    response = client.get(f"/contacts/log/{district.lak.id}.csv")

    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert any(c.startswith("'=cmd|") for c in cells)
    assert any(c.startswith("'+1 253") for c in cells)
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "contacts.log_exported")
    )


def test_principal_assigns_and_the_assignee_is_mailed(
    client, login, csrf, district, smtp
):
    login(district.principal)

    response = client.post(
        f"/contacts/problems/{district.new.id}/assign",
        data={"assignee_id": district.office.id},
        headers=csrf,
    )

    assert response.status_code == 302
    db.session.expire_all()
    problem = db.session.get(ContactProblem, district.new.id)
    assert (problem.status, problem.assigned_to_id) == ("assigned", district.office.id)
    (recipients, message) = smtp.messages[-1]
    assert recipients == ["office@d.example"]
    assert "/contacts/mine" in message.get_body(("plain",)).get_content()


def test_assignee_must_be_office_staff_of_the_building(
    client, login, csrf, district, smtp
):
    login(district.principal)
    client.post(
        f"/contacts/problems/{district.new.id}/assign",
        data={"assignee_id": district.hil_office.id},
        headers=csrf,
    )
    _switch(login, district.hil_ap)
    other = client.post(
        f"/contacts/problems/{district.new.id}/assign",
        data={"assignee_id": district.hil_office.id},
        headers=csrf,
    )

    assert other.status_code == 404
    db.session.expire_all()
    assert db.session.get(ContactProblem, district.new.id).assigned_to_id is None
    assert smtp.messages == []


def _assign(problem, user):
    problem.assigned_to_id = user.id
    problem.status = "assigned"
    db.session.commit()


def test_assignee_records_what_was_done(client, login, csrf, district):
    _assign(district.new, district.office)
    login(district.hil_office)
    url = f"/contacts/problems/{district.new.id}/resolve"
    assert (
        client.post(url, data={"action": "reached_family"}, headers=csrf).status_code
        == 404
    )
    _switch(login, district.office)

    client.post(url, data={"action": "corrected_in_sis", "note": "fixed"}, headers=csrf)

    db.session.expire_all()
    problem = db.session.get(ContactProblem, district.new.id)
    assert (problem.status, problem.resolution) == ("resolved", "corrected_in_sis")
    assert problem.resolved_by_id == district.office.id
    _switch(login, district.principal)
    page = client.get(f"/contacts/log/{district.lak.id}")
    assert b"ticked: corrected in the student system" in page.data


def test_sent_to_hr_mails_hr_and_keeps_a_notice(client, login, csrf, district, smtp):
    _assign(district.staff_problem, district.office)
    login(district.office)

    client.post(
        f"/contacts/problems/{district.staff_problem.id}/resolve",
        data={"action": "sent_to_hr"},
        headers=csrf,
    )

    (recipients, message) = smtp.messages[-1]
    assert recipients == ["hr@district.example"]
    assert "E000042" in message.get_body(("plain",)).get_content()
    notice = db.session.scalar(select(NoticeRecord))
    assert notice.notice == "hr"
    assert notice.contact_problem_id == district.staff_problem.id
    assert notice.sent_at is not None


def test_a_guardian_problem_cannot_go_to_hr(client, login, csrf, district, smtp):
    _assign(district.new, district.office)
    login(district.office)

    client.post(
        f"/contacts/problems/{district.new.id}/resolve",
        data={"action": "sent_to_hr"},
        headers=csrf,
    )

    db.session.expire_all()
    assert db.session.get(ContactProblem, district.new.id).status == "assigned"
    assert smtp.messages == []


def test_delivery_failure_opens_one_problem_per_contact_point(app_ctx, make):
    school = make.building("LAK")
    guardian = make.guardian(make.student(school), phone="+12535550123")
    point = guardian.contact_points[0]

    first = open_problem_from_delivery(None, "(253) 555-0123", "number disconnected")
    db.session.commit()
    again = open_problem_from_delivery(point.id, "+12535550123", "invalid number")

    assert first is not None
    assert again.id == first.id
    assert (first.source, first.building_id) == ("delivery", school.id)
    assert open_problem_from_delivery(None, "+12065550100", "invalid") is None


def _old_problems(district, count: int) -> None:
    """`count` more open problems at Lakeview, opened days ago."""
    for n in range(count):
        point = _point("too short", f"253-55{n}", guardian_id=district.mom.id)
        _problem(point, district.lak, "too short", days_ago=2)


def test_a_long_log_shows_the_first_rows_and_the_csv_has_all(client, login, district):
    _old_problems(district, SECTION_ROWS)
    login(district.principal)

    page = client.get(f"/contacts/log/{district.lak.id}")
    csv_rows = client.get(f"/contacts/log/{district.lak.id}.csv").data.splitlines()

    total = SECTION_ROWS + 2
    assert f"Still open (the first {SECTION_ROWS} of {total};".encode() in page.data
    assert b"New today (1)" in page.data
    assert len(csv_rows) == 1 + 1 + total + 0  # header, new, still open


def test_the_log_page_runs_the_same_queries_for_few_or_many_rows(app, login, district):
    def page_queries():
        client = app.test_client()
        login(district.principal, client)
        with counted_queries() as statements:
            assert client.get(f"/contacts/log/{district.lak.id}").status_code == 200
        return len(statements)

    page_queries()  # the first view also loads what later views find cached
    few = page_queries()
    _old_problems(district, 30)
    assert page_queries() == few
