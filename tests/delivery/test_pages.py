"""Progress, report, not-reached CSV and simulated phones, scoped by building."""

import pytest

from portal.delivery.models import Attempt
from portal.extensions import db
from portal.policy import Role
from tests.delivery import helpers
from tests.query_count import counted_queries


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


def _not_reached_families(school, msg, make, start: int, count: int) -> None:
    """`count` unanswered households, each with a named guardian."""
    for n in range(start, start + count):
        parent = make.guardian(make.student(school), phone=None, first_name=f"P{n}")
        helpers.deliveries(
            msg,
            [f"+1253556{n:04d}"],
            state="no_answer",
            recipients={"guardians": [parent.id]},
        )


def test_report_and_csv_name_people_without_a_query_each(app, login, make, sent):
    school, msg = sent
    user = make.user(Role.SUPERINTENDENT)

    def queries(path: str) -> int:
        client = app.test_client()
        login(user, client)
        client.get(path)  # the first view also loads what later ones find cached
        with counted_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    report = f"/delivery/messages/{msg.id}/report"
    spreadsheet = f"/delivery/messages/{msg.id}/not-reached.csv"
    _not_reached_families(school, msg, make, 0, 2)
    few = queries(report), queries(spreadsheet)
    _not_reached_families(school, msg, make, 2, 20)
    many = queries(report), queries(spreadsheet)
    body = app.test_client()
    login(user, body)
    csv_text = body.get(spreadsheet).get_data(as_text=True)

    assert many == few
    assert "P21 Example" in csv_text


def test_progress_counts_attempts_of_the_last_seconds(app_ctx, sent):
    from portal.delivery import reports

    _school, msg = sent
    (waiting,) = helpers.deliveries(msg, ["+12535550199"], state="submitted")
    db.session.add(Attempt(delivery_id=waiting, number=1))
    db.session.commit()

    figures = reports.progress(msg.id)

    assert figures.total == 6
    assert figures.by_state["submitted"] == 1
    assert figures.rate == 1 / reports.RATE_WINDOW.total_seconds()


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
