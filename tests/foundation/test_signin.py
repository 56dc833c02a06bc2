"""The whole OpenID Connect sign-in against a real provider, and sessions."""

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from portal.accounts import sessions
from portal.accounts.models import AuditEvent, PortalUser, UserSession
from portal.extensions import db
from portal.models_base import utcnow
from portal.policy import Role
from tests import factories, oidc_mock


@pytest.fixture
def principal(app, issuer):
    """A principal of Lakeview known to the provider.

    Built in a short app context: a context left pushed would be shared by
    the test client's requests, and with it Flask-Login's cached user.
    """
    with app.app_context():
        school = factories.building("LAK", name="Lakeview Elementary")
        user = factories.user(
            Role.PRINCIPAL,
            building=school,
            issuer=issuer,
            subject="principal-lakeview",
            display_name="Pat Lee",
        )
        return SimpleNamespace(id=user.id, subject=user.subject)


def _signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action)))


def _live_sessions(app, user_id: int) -> list[UserSession]:
    with app.app_context():
        return db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == user_id, UserSession.ended_at.is_(None)
            )
        ).all()


def test_success_lands_on_home_scoped_to_building(app, client, principal):
    response = oidc_mock.sign_in(client, "principal-lakeview")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert b"Pat Lee" in home.data
    assert b"Principal, Lakeview Elementary" in home.data
    assert "signin" in _actions(app)
    assert len(_live_sessions(app, principal.id)) == 1


def test_next_path_is_kept_and_foreign_urls_are_not(app, client, principal):
    page = client.get("/signin?next=/policy").get_data(as_text=True)
    token = oidc_mock.CSRF_FIELD.search(page).group(1)
    response = client.post("/signin", data={"csrf_token": token, "next": "/policy"})
    callback = oidc_mock.authorize(response.headers["Location"], principal.subject)
    assert client.get(callback).headers["Location"] == "/policy"

    other = app.test_client()
    page = other.get("/signin").get_data(as_text=True)
    token = oidc_mock.CSRF_FIELD.search(page).group(1)
    data = {"csrf_token": token, "next": "https://evil.example/"}
    response = other.post("/signin", data=data)
    callback = oidc_mock.authorize(response.headers["Location"], principal.subject)
    assert other.get(callback).headers["Location"] == "/"


def test_tampered_state_is_refused(app, client, principal):
    callback = oidc_mock.authorize(oidc_mock.start(client), principal.subject)
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = query["state"][:-2] + "xx"

    response = client.get(f"{parts.path}?{urlencode(query)}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signin")
    assert not _signed_in(client)
    assert "signin.failed" in _actions(app)


def test_replayed_code_is_refused(app, client, principal):
    callback = oidc_mock.authorize(oidc_mock.start(client), principal.subject)
    assert client.get(callback).status_code == 302
    client.post("/signout", data={"csrf_token": _csrf_from(client, "/")})

    # The same callback URL again: its state was used up with the first visit.
    again = client.get(callback)
    assert again.headers["Location"].endswith("/signin")
    assert not _signed_in(client)

    # The old code with a fresh state: the provider refuses a used code.
    fresh = oidc_mock.authorize(oidc_mock.start(client), principal.subject)
    fresh_state = parse_qs(urlsplit(fresh).query)["state"][0]
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = client.get(
        "/signin/callback?" + urlencode({"code": old_code, "state": fresh_state})
    )
    assert replay.headers["Location"].endswith("/signin")
    assert not _signed_in(client)


def test_unknown_person_gets_the_no_account_page(app, client, principal):
    response = oidc_mock.sign_in(client, "stranger")

    assert response.status_code == 403
    assert b"You do not have a portal account yet" in response.data
    assert b"Account Request Form" in response.data
    assert b'<code class="subject">stranger</code>' in response.data
    assert not _signed_in(client)
    with app.app_context():
        assert (
            db.session.scalar(select(PortalUser).filter_by(subject="stranger")) is None
        )


def test_same_subject_from_another_issuer_is_not_the_same_person(app, client):
    with app.app_context():
        school = factories.building()
        factories.user(
            Role.PRINCIPAL,
            building=school,
            issuer="https://other.example",
            subject="x1",
        )
    response = oidc_mock.sign_in(client, "x1")
    assert response.status_code == 403
    assert b"no account" in response.data.lower()


def test_disabled_person_is_refused(app, client, principal):
    with app.app_context():
        db.session.get(PortalUser, principal.id).active = False
        db.session.commit()

    response = oidc_mock.sign_in(client, principal.subject)

    assert response.status_code == 403
    assert b"disabled" in response.data.lower()
    assert not _signed_in(client)


def test_logout_then_old_cookie_is_signed_out(app, client, principal):
    oidc_mock.sign_in(client, principal.subject)
    old_cookie = client.get_cookie("portal_session").value

    response = client.post("/signout", data={"csrf_token": _csrf_from(client, "/")})
    assert response.headers["Location"].endswith("/signin")
    assert _live_sessions(app, principal.id) == []

    thief = app.test_client()
    thief.set_cookie("portal_session", old_cookie)
    response = thief.get("/")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_deactivation_ends_existing_sessions(app, client, principal):
    oidc_mock.sign_in(client, principal.subject)
    assert _signed_in(client)

    with app.app_context():
        db.session.get(PortalUser, principal.id).active = False
        sessions.end_all_for(principal.id, "account_disabled")
        db.session.commit()

    assert not _signed_in(client)
    assert _live_sessions(app, principal.id) == []


def test_disabled_account_is_refused_on_its_next_request(app, client, principal):
    oidc_mock.sign_in(client, principal.subject)
    with app.app_context():
        db.session.get(PortalUser, principal.id).active = False
        db.session.commit()

    assert not _signed_in(client)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        assert row.ended_reason == "account_disabled"


@pytest.mark.parametrize(
    ("created_ago", "seen_ago", "reason"),
    [
        (timedelta(hours=1), timedelta(minutes=31), "idle_timeout"),
        (timedelta(hours=12, minutes=1), timedelta(minutes=1), "absolute_timeout"),
    ],
)
def test_timeouts_end_the_session(
    app, client, principal, created_ago, seen_ago, reason
):
    oidc_mock.sign_in(client, principal.subject)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.created_at = utcnow() - created_ago
        row.last_seen_at = utcnow() - seen_ago
        db.session.commit()

    assert not _signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession)).ended_reason == reason


def test_active_session_within_limits_stays(app, client, principal):
    oidc_mock.sign_in(client, principal.subject)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.created_at = utcnow() - timedelta(hours=11)
        row.last_seen_at = utcnow() - timedelta(minutes=29)
        db.session.commit()

    assert _signed_in(client)


def test_session_cookie_flags(app, client, principal):
    response = oidc_mock.sign_in(client, principal.subject)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # Secure only outside development and tests (plain-HTTP test client here).
    assert "Secure" not in cookie


def test_signin_page_lists_demo_users_only_with_dev_helpers(app, client, principal):
    page = client.get("/signin").get_data(as_text=True)
    assert "principal-lakeview" not in page

    app.config["DEV_SIGNIN_HELPERS"] = True
    try:
        page = client.get("/signin", base_url="http://portal.test").get_data(
            as_text=True
        )
    finally:
        app.config["DEV_SIGNIN_HELPERS"] = False
    assert "principal-lakeview" in page


def test_dev_signin_page_moves_to_the_public_host(app, client):
    """In development, localhost and 127.0.0.1 are different cookie sites."""
    app.config["DEV_SIGNIN_HELPERS"] = True
    try:
        response = client.get("/signin?next=/messages", base_url="http://localhost")
    finally:
        app.config["DEV_SIGNIN_HELPERS"] = False
    assert response.status_code == 302
    assert response.location == "http://portal.test/signin?next=/messages"


def _csrf_from(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return oidc_mock.CSRF_FIELD.search(page).group(1)
