"""htmx's security settings, and a new session id at every sign-in."""

import json
import re
from pathlib import Path

from portal.accounts.models import PortalUser, UserSession
from portal.extensions import db
from tests import oidc_mock

ROOT = Path(__file__).resolve().parents[2]
META = re.compile(r'<meta name="htmx-config" content=\'([^\']+)\'>')


def test_base_layout_sets_htmx_security_config(world, client_as):
    client, _csrf = client_as(world.principal)
    page = client.get("/").get_data(as_text=True)

    config = json.loads(META.search(page).group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0
    assert config["selfRequestsOnly"] is True
    assert config["includeIndicatorStyles"] is False
    # Settling style would make htmx write style attributes (CSP violations).
    assert "style" not in config["attributesToSettle"]


def test_every_page_loads_the_vendored_htmx_2_0_11_only():
    vendored = (ROOT / "static/js/htmx-2.0.11.min.js").read_text()
    assert 'version:"2.0.11"' in vendored.replace(" ", "")
    scripts = " ".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    loaded = set(re.findall(r"htmx[-.\w]*\.js", scripts))
    assert loaded == {"htmx-2.0.11.min.js"}


def _sid(client):
    with client.session_transaction() as session:
        return session.get("sid")


def test_sign_in_issues_a_new_session_id(app, issuer):
    with app.app_context():
        from tests import factories

        school = factories.building("LAK")
        user = factories.user(
            "principal", building=school, issuer=issuer, subject="fixation"
        )
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "planted-by-an-attacker"
        session["extra"] = "kept?"

    oidc_mock.sign_in(client, "fixation")

    sid = _sid(client)
    assert sid not in (None, "planted-by-an-attacker")
    with client.session_transaction() as session:
        assert "extra" not in session
    with app.app_context():
        assert db.session.get(UserSession, sid).user_id == user_id
        assert db.session.get(PortalUser, user_id).last_sign_in_at is not None


def test_each_sign_in_gets_its_own_session_id(app, issuer):
    with app.app_context():
        from tests import factories

        school = factories.building("LAK")
        factories.user("principal", building=school, issuer=issuer, subject="twice")
    first, second = app.test_client(), app.test_client()
    oidc_mock.sign_in(first, "twice")
    oidc_mock.sign_in(second, "twice")

    assert _sid(first) != _sid(second)
    assert len(_sid(first)) >= 32
