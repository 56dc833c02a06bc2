"""Progress, report, not-reached CSV and simulated phones, scoped by building."""

import pytest

from portal.extensions import db
from portal.policy import Role
from tests.delivery import helpers


@pytest.fixture
def sent(make):
    """A building's message with a few finished and waiting deliveries."""
    school = make.building(name="Lincoln Elementary")
    msg = helpers.message("outreach", building=school)
    helpers.deliveries(msg, ["+12535550101", "+12535550102"], state="answered")
    helpers.deliveries(msg, ["=HYPERLINK(1)"], state="no_answer", detail="x")
    helpers.deliveries(msg, ["+12535550104"], state="pending")
    helpers.deliveries(
        msg, ["+12535550105"], state="voicemail", language="vi", content_language="en"
    )
    return school, msg


def test_progress_page_and_partial(client, login, make, sent):
    school, msg = sent
    login(make.user(Role.PRINCIPAL, building=school))

    page = client.get(f"/delivery/messages/{msg.id}")
    partial = client.get(
        f"/delivery/messages/{msg.id}/progress", headers={"HX-Request": "true"}
    )

    assert page.status_code == 200
    assert b"4 of 5" in page.data
    assert b'hx-trigger="every 2s"' in page.data
    assert partial.status_code == 200
    assert b"<html" not in partial.data
    assert "HX-Request" in partial.headers["Vary"]


def test_report_counts_languages_and_chart(client, login, make, sent):
    _school, msg = sent
    login(make.user(Role.SUPERINTENDENT))

    page = client.get(f"/delivery/messages/{msg.id}/report")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in text
    assert "Lincoln Elementary" in text
    assert "Got English instead" in text
    assert "<td>vi</td><td>1</td><td>1</td>" in text


def test_not_reached_csv_is_formula_safe(client, login, make, sent):
    school, msg = sent
    login(make.user(Role.PRINCIPAL, building=school))

    response = client.get(f"/delivery/messages/{msg.id}/not-reached.csv")

    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body
    assert "+12535550101" not in body  # reached households are not listed


def test_other_buildings_get_404(client, login, make, sent):
    _school, msg = sent
    other = make.building()
    login(make.user(Role.PRINCIPAL, building=other))

    assert client.get(f"/delivery/messages/{msg.id}").status_code == 404
    assert client.get(f"/delivery/messages/{msg.id}/report").status_code == 404


def test_simulated_phones_hidden_in_production(client, login, make, app, monkeypatch):
    login(make.user(Role.IT_ADMIN))
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    assert client.get("/delivery/simulated-phones").status_code == 404


def test_simulated_phones_reads_the_sandbox(client, login, make, app, monkeypatch):
    from portal.sandbox.server import SandboxServer
    from tests.sandbox.fixtures import TEST_SETTINGS, SandboxHandle

    server = SandboxServer(dict(TEST_SETTINGS)).start()
    try:
        sandbox = SandboxHandle(server)
        sandbox.client().messages.create(
            src="+12535550100", dst="+12535550107", text="Hi"
        )
        sandbox.wait_idle()
        monkeypatch.setitem(app.config, "PLIVO_API_URL", sandbox.base_url)
        login(make.user(Role.IT_ADMIN))
        page = client.get("/delivery/simulated-phones")
    finally:
        server.stop()
    assert page.status_code == 200
    assert b"+12535550107" in page.data
    db.session.rollback()
