"""The settings page validates and audits; the ops dashboard is IT's alone."""

from datetime import time

import pytest

from portal import district_settings
from portal.directory.models import Building
from portal.extensions import db
from portal.governance import settings_service
from portal.governance.settings_service import SettingError
from portal.policy import Role
from tests.accounts.test_audit import _settings_form


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"notice_board": "not-an-address"}, "not-an-address"),
        ({"notice_hr": ""}, "This field is required."),
        ({"notice_alt": "a@district.example, b@"}, "b@"),
        ({"unexcused_codes": "U, TOO-LONG-CODE"}, "TOO-LONG-CODE"),
        ({"unexcused_codes": "U, A B?"}, "B?"),
        ({"outreach_per_household_7d": "0"}, "between 1 and 21"),
        ({"fundraising_per_building_30d": "-1"}, "between 0 and 30"),
        ({"provider_calls_per_second": "0"}, "from 0.1 to 100.0"),
        ({"provider_messages_per_second": "1000"}, "from 0.1 to 100.0"),
        ({"provider_calls_per_second": "fast"}, "Not a valid float value."),
    ],
)
def test_settings_refuse_bad_values(changes, error, app, client, csrf, login, make):
    login(make.user(Role.IT_ADMIN))
    response = client.post("/settings/", data=_settings_form(**changes), headers=csrf)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert district_settings.get("unexcused_codes") == ["U", "UA", "UNX"]


def test_settings_store_checked_values(app, client, csrf, login, make):
    login(make.user(Role.IT_ADMIN))
    form = _settings_form(
        notice_board="Board@District.example\nchair@district.example, board@district.example",
        unexcused_codes="u, ua; x",
        provider_calls_per_second="3.5",
        training_required_to_compose="y",
    )  # fmt: skip
    response = client.post("/settings/", data=form, headers=csrf)
    assert response.status_code == 302
    db.session.expire_all()
    assert district_settings.get("notice_board") == [
        "board@district.example",
        "chair@district.example",
    ]
    assert district_settings.get("unexcused_codes") == ["U", "UA", "X"]
    assert district_settings.get("training_required_to_compose") is True
    assert settings_service.effective_rate("provider_calls_per_second") == 3.5
    assert settings_service.effective_rate("provider_messages_per_second") == 5.0


@pytest.mark.parametrize(
    ("start", "end", "eod", "ok"),
    [
        ("08:00", "20:00", "15:30", True),
        ("20:00", "08:00", "15:30", False),
        ("09:00", "09:00", "15:30", False),
        ("08:00", "20:00", "02:00", False),
        ("8am", "20:00", "15:30", False),
    ],
)
def test_building_hours_are_checked(
    start, end, eod, ok, app, client, csrf, login, make
):
    school = make.building()
    login(make.user(Role.IT_ADMIN))
    prefix = f"b{school.id}-"
    form = {
        prefix + "calling_window_start": start,
        prefix + "calling_window_end": end,
        prefix + "end_of_day": eod,
    }
    response = client.post(f"/settings/buildings/{school.id}", data=form, headers=csrf)
    assert response.status_code == (302 if ok else 422)
    db.session.expire_all()
    stored = db.session.get(Building, school.id)
    assert (stored.calling_window_start == time(8)) is True
    if not ok:
        assert stored.end_of_day == time(15, 30)


def test_parse_emails_rejects_empty():
    with pytest.raises(SettingError):
        settings_service.parse_emails(" , ")


def test_settings_page_is_for_it_only(app, client, login, make):
    login(make.user(Role.SUPERINTENDENT))
    assert client.get("/settings/").status_code == 403


# --- Operations dashboard ---------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.IT_ADMIN, 200),
        (Role.SUPERINTENDENT, 403),
        (Role.PRINCIPAL, 403),
        (None, 302),
    ],
)
def test_ops_dashboard_for_it_only(role, status, app, client, login, make):
    if role is not None:
        login(make.user(role, building=make.building()))
    page = client.get("/ops/rq/")
    assert page.status_code == status
    data = client.get("/ops/rq/0/data/queues.json")
    assert data.status_code == status
    if status == 200:
        assert b"RQ dashboard" in page.data
        assert "'unsafe-inline'" in page.headers["Content-Security-Policy"]
        assert "queues" in data.json


def test_ops_dashboard_writes_need_our_origin(app, client, login, make):
    login(make.user(Role.IT_ADMIN))
    url = "/ops/rq/queue/default/queued/empty"
    assert client.post(url).status_code == 403
    assert (
        client.post(url, headers={"Origin": "https://evil.example"}).status_code == 403
    )
    same = client.post(url, headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert client.get("/ops/rq/requeue/default").status_code == 405


def test_strict_csp_stays_outside_ops(app, client, login, make):
    login(make.user(Role.IT_ADMIN))
    csp = client.get("/settings/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert "script-src 'self';" in csp
