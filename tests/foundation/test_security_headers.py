"""Security headers on full pages, htmx partials and error pages."""

from types import SimpleNamespace

import pytest
from flask import render_template_string

from portal import create_app
from portal.accounts.access import public, requires
from portal.extensions import db
from portal.policy import Role
from tests import factories
from tests.conftest import make_config


def _boom():
    raise RuntimeError("a bug with a secret: 4155550123")


def _partial():
    return render_template_string("<p id='partial'>fragment</p>")


@pytest.fixture(scope="module")
def app(pg_database, redis_url, issuer):
    """The portal plus three test routes: a crash, a partial, a locked page."""
    application = create_app(make_config(pg_database, redis_url, OIDC_ISSUER=issuer))
    application.add_url_rule("/_test/boom", "test_boom", public(_boom))
    application.add_url_rule("/_test/partial", "test_partial", public(_partial))
    locked = requires("settings.edit")(_partial)
    application.add_url_rule("/_test/locked", "test_locked", locked)
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def office_staff(app):
    with app.app_context():
        school = factories.building()
        user = factories.user(Role.OFFICE_STAFF, building=school)
        return SimpleNamespace(id=user.id)


def assert_security_headers(response, signed_in: bool):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers
    if signed_in:
        assert headers["Cache-Control"] == "no-store"


def test_full_pages(client, login, office_staff):
    assert_security_headers(client.get("/signin"), signed_in=False)
    login(office_staff)
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response, signed_in=True)
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_partials(client, login, office_staff):
    login(office_staff)
    response = client.get("/_test/partial", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_security_headers(response, signed_in=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_not_found(client, login, office_staff, htmx):
    login(office_staff)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404
    assert_security_headers(response, signed_in=True)
    assert (b"<html" in response.data) is not htmx


@pytest.mark.parametrize("htmx", [False, True])
def test_forbidden(client, login, office_staff, htmx):
    login(office_staff)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/_test/locked", headers=headers)
    assert response.status_code == 403
    assert_security_headers(response, signed_in=True)


def test_server_error_reveals_nothing(client, login, office_staff, caplog):
    login(office_staff)
    response = client.get("/_test/boom")
    assert response.status_code == 500
    assert_security_headers(response, signed_in=True)
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "4155550123" not in body
    assert "RuntimeError" not in body
    assert "Traceback" not in body
    assert any("unhandled_error" in r.getMessage() for r in caplog.records)


def test_anonymous_error_pages_are_not_marked_signed_in(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert_security_headers(response, signed_in=False)


def test_hsts_and_secure_cookie_only_in_production(pg_database, redis_url, issuer):
    settings = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "p" * 48,
        "PUBLIC_BASE_URL": "https://notify.district.example",
        "OIDC_ISSUER": issuer,
    }
    production = create_app(make_config(pg_database, redis_url, **settings))
    client = production.test_client()

    response = client.get("/signin", base_url="https://notify.district.example")

    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=")
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    with production.app_context():
        db.engine.dispose()


def test_form_action_allows_only_self_and_the_issuer(client, issuer):
    csp = client.get("/signin").headers["Content-Security-Policy"]
    form_action = next(d for d in csp.split("; ") if d.startswith("form-action"))
    assert form_action == f"form-action 'self' {issuer}"
