"""Another building's ids answer 403 or 404 on every route that takes an id.

Every rule of `app.url_map` with URL arguments is requested, with building
A's records, by each building role of building B. An argument name with no
value below fails the test, so a new route must be added here to ship.
"""

import pytest

from portal.accounts.requests import AccountRequest
from portal.attendance.models import Absence
from portal.contacts.models import ContactProblem
from portal.extensions import db
from portal.messaging.models import Message
from tests.proof.conftest import SECRET_WORDS

# Rules that take an argument but no record: why each is left out.
NOT_RECORDS = {
    "static": "public stylesheet and scripts, no data",
}

# What each URL argument is given: a record of building A, or (for routes
# that only IT reaches, or that name no record) a plausible value.
ARGUMENTS = {
    "building_id": lambda w: w.a,
    "message_id": lambda w: w.message,
    "recording_id": lambda w: w.recording,
    "problem_id": lambda w: w.problem,
    "absence_id": lambda w: w.absence,
    "run_id": lambda w: w.run,
    "request_id": lambda w: w.request,
    "user_id": lambda w: w.principal,
    "clip_id": lambda w: w.clip,
    "language": lambda w: "es",
    # The provider's audio link: a token that was not signed by the portal.
    "token": lambda w: "eyJyIjoxfQ.forged.signature",
    "instance_number": lambda w: 0,
    "job_id": lambda w: "job-of-building-a",
    "queue_name": lambda w: "default",
    "registry_name": lambda w: "queued",
    "per_page": lambda w: 10,
    "order": lambda w: "asc",
    "page": lambda w: 1,
    "filename": lambda w: "app.js",
}


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint not in NOT_RECORDS:
            yield rule


def _url(app, rule, world) -> str:
    missing = sorted(set(rule.arguments) - set(ARGUMENTS))
    assert not missing, (
        f"{rule.rule}: add a value for {missing} to ARGUMENTS in {__name__}"
    )
    values = {name: ARGUMENTS[name](world) for name in rule.arguments}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def _state(app, world) -> tuple:
    with app.app_context():
        message = db.session.get(Message, world.message)
        return (
            message.state,
            message.version,
            db.session.get(Absence, world.absence).held,
            db.session.get(ContactProblem, world.problem).status,
            db.session.get(AccountRequest, world.request).status,
        )


def test_every_id_route_refuses_building_b_roles(app, world, client_as):
    before = _state(app, world)
    wrong = []
    for role, user_id in world.b_users.items():
        client, csrf = client_as(user_id)
        for rule in _routes_with_ids(app):
            url = _url(app, rule, world)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method, headers=csrf)
                body = response.get_data(as_text=True)
                leaked = [w for w in SECRET_WORDS if w in body]
                if response.status_code not in (403, 404) or leaked:
                    wrong.append((role.value, method, url, response.status_code))

    assert wrong == []
    assert _state(app, world) == before


@pytest.mark.parametrize(
    "path",
    [
        "/messages/{message}",
        "/delivery/messages/{message}",
        "/attendance/{a}",
        "/contacts/log/{a}",
    ],
)
def test_building_a_principal_sees_the_same_records(app, world, client_as, path):
    """The control: the sweep's records are real and readable in building A."""
    client, _csrf = client_as(world.principal)
    response = client.get(path.format(**vars(world)))

    assert response.status_code == 200
