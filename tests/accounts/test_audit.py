"""The audit trail: a row per audited action, the chain check, the page."""

import csv
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from portal import district_settings
from portal.accounts import audit
from portal.accounts.audit import AppendOnlyError
from portal.accounts.audit_search import safe_cell
from portal.accounts.cli import verify_audit
from portal.accounts.models import AuditEvent
from portal.extensions import db
from portal.governance.settings_service import NOTICE_KEYS
from portal.policy import Role
from tests.accounts.helpers import fulfil, latest_request, submit
from tests.conftest import csrf_token
from tests.query_count import page_statements


def _rows(app, action):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action)
        ).all()


def _it(app, login, district):
    it_client = app.test_client()
    login(district["it"], it_client)
    return it_client, {"X-CSRFToken": csrf_token(it_client)}


def _request_and_fulfil(app, client, csrf, login, make, district, kind="add"):
    person = make.staff(district["lakeview"])
    login(district["principal"])
    submit(
        client, csrf, kind="add", staff_member_id=person.id, role="office_staff",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    it_client, it_csrf = _it(app, login, district)
    fulfil(it_client, it_csrf, latest_request(app).id)
    if kind == "remove":
        submit(
            client, csrf, kind="remove", staff_member_id=person.id, role="",
            building_id=district["lakeview"].id,
        )  # fmt: skip
        fulfil(it_client, it_csrf, latest_request(app).id)


def _decline(app, client, csrf, login, make, district):
    person = make.staff(district["lakeview"])
    login(district["principal"])
    submit(
        client, csrf, staff_member_id=person.id, role="office_staff",
        building_id=district["lakeview"].id,
    )  # fmt: skip
    it_client, it_csrf = _it(app, login, district)
    it_client.post(
        f"/accounts/requests/{latest_request(app).id}/decline",
        data={"d-comment": "No"},
        headers=it_csrf,
    )


def _training(app, client, csrf, login, make, district):
    it_client, it_csrf = _it(app, login, district)
    it_client.post(
        "/training/sessions/new",
        data={"held_on": "2026-01-05", "topic": "Basics",
              "attendees": [district["principal"].id]},
        headers=it_csrf,
    )  # fmt: skip


def _settings(app, client, csrf, login, make, district):
    it_client, it_csrf = _it(app, login, district)
    page = it_client.get("/settings/")
    assert page.status_code == 200
    it_client.post(
        "/settings/", data=_settings_form(unexcused_codes="U, X"), headers=it_csrf
    )


def _hours(app, client, csrf, login, make, district):
    it_client, it_csrf = _it(app, login, district)
    b = district["lakeview"].id
    it_client.post(
        f"/settings/buildings/{b}",
        data={f"b{b}-calling_window_start": "09:00", f"b{b}-calling_window_end": "19:00",
              f"b{b}-end_of_day": "15:00"},
        headers=it_csrf,
    )  # fmt: skip


def _audit_page(app, client, csrf, login, make, district):
    it_client, _ = _it(app, login, district)
    it_client.get("/audit/?action=signin")


def _audit_export(app, client, csrf, login, make, district):
    it_client, _ = _it(app, login, district)
    it_client.get("/audit/export.csv?action=signin")


def _signout(app, client, csrf, login, make, district):
    login(district["principal"])
    client.post("/signout", headers=csrf)


def _settings_form(**changes) -> dict:
    """The settings form as the page fills it from the defaults."""
    defaults = district_settings.DEFAULTS
    form = {key: "\n".join(defaults[key]) for key in NOTICE_KEYS}
    form.update(
        district_contact=defaults["district_contact"],
        outreach_per_household_7d=str(defaults["outreach_per_household_7d"]),
        fundraising_per_building_30d=str(defaults["fundraising_per_building_30d"]),
        provider_calls_per_second="",
        provider_messages_per_second="",
        unexcused_codes=", ".join(defaults["unexcused_codes"]),
    )
    form.update(changes)
    return form


AUDITED = [
    ("accounts.request_submitted", _decline, True),
    ("accounts.request_declined", _decline, True),
    ("accounts.request_fulfilled", _request_and_fulfil, True),
    ("access.account_created", _request_and_fulfil, False),
    ("access.role_granted", _request_and_fulfil, True),
    ("access.role_ended", lambda *a: _request_and_fulfil(*a, kind="remove"), True),
    ("access.account_deactivated", lambda *a: _request_and_fulfil(*a, kind="remove"), False),
    ("training.recorded", _training, False),
    ("settings.changed", _settings, False),
    ("settings.building_hours_changed", _hours, True),
    ("audit.viewed", _audit_page, False),
    ("audit.exported", _audit_export, False),
    ("signout", _signout, False),
]  # fmt: skip


@pytest.mark.parametrize(("action", "trigger", "has_building"), AUDITED)
def test_action_leaves_an_audit_row(
    action, trigger, has_building, app, client, csrf, login, make, district, smtp
):
    trigger(app, client, csrf, login, make, district)

    rows = _rows(app, action)
    assert rows, f"no audit row for {action}"
    row = rows[-1]
    assert row.user_id is not None
    assert row.actor != "system"
    assert row.remote_addr == "127.0.0.1"
    assert (row.building_id == district["lakeview"].id) == has_building
    with app.app_context():
        assert audit.verify_chain() == []


def test_settings_change_keeps_old_and_new(app, client, csrf, login, make, district):
    _settings(app, client, csrf, login, make, district)
    row = _rows(app, "settings.changed")[0]
    assert row.target == "setting:unexcused_codes"
    assert row.details == {"old": ["U", "UA", "UNX"], "new": ["U", "X"]}


def test_chain_check_names_an_edited_row(app, make):
    first = audit.record("test.one", target="x:1")
    second = audit.record("test.two", target="x:2")
    audit.record("test.three", target="x:3")
    db.session.commit()
    runner = CliRunner()
    assert runner.invoke(verify_audit).exit_code == 0

    # Tampering needs the table owner to switch the append-only trigger off.
    db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    db.session.execute(
        text("UPDATE audit_event SET target = 'x:9' WHERE id = :id"), {"id": second.id}
    )
    db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    db.session.commit()

    assert audit.verify_chain() == [second.id]
    result = runner.invoke(verify_audit)
    assert result.exit_code == 1
    assert f"rows: {second.id} " in result.output
    assert first.id != second.id


def test_chain_check_notices_a_deleted_row(app, make):
    audit.record("test.one")
    middle = audit.record("test.two")
    last = audit.record("test.three")
    db.session.commit()
    db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    db.session.execute(
        text("DELETE FROM audit_event WHERE id = :id"), {"id": middle.id}
    )
    db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    db.session.commit()
    assert audit.verify_chain() == [last.id]


def test_portal_refuses_to_edit_or_delete_audit_rows(app, make):
    row = audit.record("test.one")
    db.session.commit()
    row.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, row.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(db.delete(AuditEvent))
    db.session.rollback()


def test_database_refuses_row_edits(app, make):
    row = audit.record("test.one")
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(
            text("DELETE FROM audit_event WHERE id = :id"), {"id": row.id}
        )
    db.session.rollback()


def test_search_filters_and_export_is_formula_safe(app, client, login, make, district):
    audit.record(
        "test.formula", target="=HYPERLINK(1)", building_id=district["hillside"].id
    )
    audit.record("test.other", target="user:1", building_id=district["lakeview"].id)
    db.session.commit()
    login(district["superintendent"])

    page = client.get(f"/audit/?action=test.&building_id={district['hillside'].id}")
    assert page.status_code == 200
    assert b"test.formula" in page.data
    assert b"test.other" not in page.data
    export = client.get("/audit/export.csv?action=test.formula")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["target"] for r in rows] == ["'=HYPERLINK(1)"]
    assert client.get("/audit/?since=2000-01-01&until=2000-01-02").status_code == 200
    assert b"test.formula" not in client.get("/audit/?until=2000-01-02").data


def test_audit_page_for_it_and_superintendent_only(app, client, login, make, district):
    clerk = make.user(Role.ATTENDANCE_CLERK, building=district["lakeview"])
    login(clerk)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_defuses_formulas(value):
    assert safe_cell(value).startswith("'")


def test_audit_page_runs_the_same_statements_for_few_or_many_rows(
    app, client, login, make, district
):
    """The view is audited after rendering, so no row is loaded twice."""
    login(district["it"])

    page_statements(client, "/audit/")
    few = page_statements(client, "/audit/")
    for n in range(40):
        audit.record("test.filler", target=f"user:{n}")
    db.session.commit()
    assert page_statements(client, "/audit/") == few
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "audit.viewed")
        )
        == 3
    )
