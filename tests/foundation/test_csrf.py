"""CSRF: every state-changing route refuses a request without a token."""

import uuid
from types import SimpleNamespace

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

from portal.accounts.access import PUBLIC
from portal.extensions import csrf
from portal.policy import BUILDING_ROLES, DISTRICT_ROLES
from tests import factories
from tests.access_tables import all_csrf_exempt

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# Provider callbacks cannot carry our CSRF token; each checks the provider's
# signature instead (portal.telephony signature checks, tested by delivery).
EXEMPT = {
    "delivery.answer": "Plivo answer URL, checked by X-Plivo-Signature-V3",
    "delivery.hangup": "Plivo hangup callback, checked by X-Plivo-Signature-V3",
    "delivery.machine": "Plivo machine detection, checked by X-Plivo-Signature-V3",
    "delivery.sms_status": "Plivo SMS status, checked by X-Plivo-Signature-V3",
    "delivery.inbound_sms": "Plivo inbound SMS, checked by X-Plivo-Signature-V3",
}

# Blueprints exempt as a whole, with what protects their writes instead.
# Without our Origin (or Referer) such a write must be refused with 403.
EXEMPT_BLUEPRINTS = {
    "rq_dashboard": "rq-dashboard's own jQuery posts carry no token; "
    "portal/governance/ops.py refuses writes whose Origin is not the portal",
}


def _exempt_blueprint_names() -> set[str]:
    names = set()
    for blueprint in csrf._exempt_blueprints:
        names.add(getattr(blueprint, "name", blueprint))
    return names


def _exempt_views(app) -> set[str]:
    """Single views that Flask-WTF will not check."""
    found = set()
    for endpoint, view in app.view_functions.items():
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views:
            found.add(endpoint)
    return found


def _blueprint_of(endpoint: str) -> str | None:
    return endpoint.rsplit(".", 1)[0] if "." in endpoint else None


def _sample_url(app, rule) -> str:
    """The rule's URL with a plausible value for each argument."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.uuid4()
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=sorted(rule.methods)[0])


@pytest.fixture
def everyone(app):
    """A user holding every role, so no refusal comes from the access rule."""
    with app.app_context():
        school = factories.building()
        user = factories.user(*sorted(DISTRICT_ROLES | BUILDING_ROLES), building=school)
        return SimpleNamespace(id=user.id)


def test_exempt_views_are_public_callbacks_with_a_reason(app):
    reasons = EXEMPT | all_csrf_exempt()
    for endpoint in _exempt_views(app):
        assert endpoint in reasons, f"{endpoint} is CSRF-exempt without a reason"
        rule = app.view_functions[endpoint].access_rule
        assert rule == PUBLIC, f"{endpoint} is exempt but not a public callback"


def test_exempt_blueprints_have_a_reason():
    unexplained = _exempt_blueprint_names() - set(EXEMPT_BLUEPRINTS)
    assert not unexplained, f"CSRF-exempt blueprints without a reason: {unexplained}"


def test_every_state_changing_route_refuses_a_missing_token(
    app, client, login, everyone
):
    login(everyone)
    exempt_views, exempt_blueprints = _exempt_views(app), _exempt_blueprint_names()
    checked, accepted = 0, []
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods & STATE_CHANGING)
        if not methods or rule.endpoint in exempt_views:
            continue
        # A blueprint exempt from CSRF must still refuse a foreign write.
        refusal = 403 if _blueprint_of(rule.endpoint) in exempt_blueprints else 400
        url = _sample_url(app, rule)
        for method in methods:
            response = client.open(url, method=method, data={"x": "1"})
            checked += 1
            if response.status_code != refusal:
                accepted.append(f"{method} {url} -> {response.status_code}")
    assert checked > 0
    assert not accepted, "accepted without a CSRF token: " + "; ".join(accepted)


def test_a_wrong_token_is_refused_too(client, login, everyone):
    login(everyone)
    response = client.post(
        "/signout", data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    assert b"Bad Request" in response.data


def test_htmx_requests_carry_the_token_from_the_page(client, login, everyone):
    login(everyone)
    page = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]

    response = client.post(
        "/signout", headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 302
