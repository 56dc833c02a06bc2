"""In a real browser: a principal signs in and sees their building's home."""

import pytest

from portal.policy import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]


@pytest.fixture
def principal(app, issuer):
    with app.app_context():
        lakeview = factories.building("LAK", name="Lakeview Elementary")
        factories.building("HIL", name="Hillside Elementary")
        factories.user(
            Role.PRINCIPAL,
            building=lakeview,
            issuer=issuer,
            subject="principal-lakeview",
            display_name="Pat Lee",
        )


def test_principal_signs_in_and_sees_the_building_home(
    page, console, live_url, sign_in, screenshot, principal
):
    sign_in(page, "principal-lakeview")

    assert page.url == f"{live_url}/"
    assert page.locator("h1").inner_text() == "Good day, Pat Lee"
    roles = page.locator(".roles").inner_text()
    assert "Principal, Lakeview Elementary" in roles
    assert "Hillside" not in roles
    screenshot(page, "home")

    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("() => htmx.version") == "2.0.11"
    assert page.evaluate("() => htmx.config.allowEval") is False
    assert page.evaluate("() => htmx.config.allowScriptTags") is False
    assert page.evaluate("() => htmx.config.historyCacheSize") == 0
    assert console.csp_violations == []


def test_signing_out_in_the_browser(page, live_url, sign_in, principal):
    sign_in(page, "principal-lakeview")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_url}/signin")

    assert page.get_by_role("alert").inner_text() == "You are signed out."
    page.goto(f"{live_url}/")
    assert page.url.startswith(f"{live_url}/signin")
