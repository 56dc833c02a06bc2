"""Base pages: the Policy page for every role, the layout, the home page."""

import html
from types import SimpleNamespace

import pytest

from portal.policy import BUILDING_ROLES, ROLE_LABELS, Role
from tests import factories


def _user(app, *roles, **fields):
    with app.app_context():
        school = factories.building(name="Lakeview Elementary")
        user = factories.user(*roles, building=school, **fields)
        return SimpleNamespace(id=user.id)


@pytest.mark.parametrize("role", list(Role))
def test_policy_page_shows_for_every_role(app, client, login, role):
    login(_user(app, role))

    response = client.get("/policy")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The notification procedure" in page
    assert "Evacuation" in page
    assert "Assistant superintendent" in page
    assert "Closures and snow days" in page


def test_policy_page_needs_sign_in(client):
    response = client.get("/policy")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_layout_has_lang_skip_link_main_and_alert_flashes(app, client, login):
    login(_user(app, Role.PRINCIPAL))
    client.post("/signout", data={"csrf_token": _token(client)})

    page = client.get("/signin").get_data(as_text=True)

    assert '<html lang="en">' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page
    assert 'role="alert">You are signed out.' in page


def test_no_inline_script_or_style_in_pages(app, client, login):
    login(_user(app, Role.SUPERINTENDENT))
    for path in ("/", "/policy", "/signin"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page
        assert " style=" not in page
        assert " onclick=" not in page


@pytest.mark.parametrize("role", sorted(BUILDING_ROLES))
def test_home_names_the_building_of_a_building_role(app, client, login, role):
    login(_user(app, role, display_name="Pat Lee"))
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert "Pat Lee" in page
    assert f"{ROLE_LABELS[role]}, Lakeview Elementary" in page


def test_home_lists_only_allowed_navigation(app, client, login):
    login(_user(app, Role.OFFICE_STAFF))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/policy"' in page
    assert "Settings" not in page


def _token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
