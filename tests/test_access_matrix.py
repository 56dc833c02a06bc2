"""The authorization matrix: every route × anonymous and every role.

(a) Every rule of `app.url_map` is named in `tests/access_tables/` with the
    access rule its view carries, so no route ships without a rule.
(b) Every GET route without URL arguments answers anonymous visitors and
    each role (held in its own building, or in another one) as the
    policy's CAPABILITIES predict.
(c) An expectation table written out here, from the procedure, agrees with
    CAPABILITIES cell by cell.
"""

from types import SimpleNamespace

import pytest

from portal.accounts.access import PUBLIC
from portal.policy import BUILDING_ROLES, CAPABILITIES, DISTRICT_ROLES, Role
from tests import factories
from tests.access_tables import all_endpoints

# --- (c) Who holds what, read from the procedure ----------------------------
# SUP superintendent · ASU assistant superintendent · CRD director of community
# relations · SDE superintendent's designee · ITA IT administrator · PRI
# principal · APR assistant principal · PDE principal's designee · ATT
# attendance secretary/clerk · OFF office staff.
ROLE_COLUMNS = {
    "SUP": Role.SUPERINTENDENT,
    "ASU": Role.ASSISTANT_SUPERINTENDENT,
    "CRD": Role.COMMUNITY_RELATIONS_DIRECTOR,
    "SDE": Role.SUPERINTENDENT_DESIGNEE,
    "ITA": Role.IT_ADMIN,
    "PRI": Role.PRINCIPAL,
    "APR": Role.ASSISTANT_PRINCIPAL,
    "PDE": Role.PRINCIPAL_DESIGNEE,
    "ATT": Role.ATTENDANCE_CLERK,
    "OFF": Role.OFFICE_STAFF,
}
EXPECTED = """
capability            SUP ASU CRD SDE ITA PRI APR PDE ATT OFF
home                   x   x   x   x   x   x   x   x   x   x
policy.view            x   x   x   x   x   x   x   x   x   x
directory.import       .   .   .   .   x   .   .   .   .   .
directory.view         x   x   x   x   x   x   x   x   x   .
contacts.log           x   x   x   x   x   x   x   .   .   .
contacts.assign        .   .   .   .   .   x   x   .   .   .
contacts.work          .   .   .   .   .   x   x   .   .   x
messages.view          x   x   x   x   x   x   x   x   .   .
messages.compose       x   .   x   x   x   x   x   x   .   .
messages.approve       x   x   x   x   .   .   .   .   .   .
delivery.view          x   x   x   x   x   x   x   x   .   .
attendance.view        x   .   .   .   x   x   x   x   x   .
attendance.hold        .   .   .   .   .   x   x   x   x   .
attendance.templates   .   .   x   .   x   .   .   .   .   .
accounts.request       x   x   x   x   .   x   .   .   .   .
accounts.fulfil        .   .   .   .   x   .   .   .   .   .
training.manage        .   .   .   .   x   .   .   .   .   .
audit.view             x   .   .   .   x   .   .   .   .   .
settings.edit          .   .   .   .   x   .   .   .   .   .
ops.dashboard          .   .   .   .   x   .   .   .   .   .
"""


def expected_table() -> dict[str, frozenset[Role]]:
    lines = [line.split() for line in EXPECTED.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    table = {}
    for capability, *cells in rows:
        assert len(cells) == len(header), f"row {capability} has a missing cell"
        table[capability] = frozenset(
            ROLE_COLUMNS[col]
            for col, cell in zip(header, cells, strict=True)
            if cell == "x"
        )
    return table


def test_expectation_table_names_every_capability():
    missing = set(CAPABILITIES) - set(expected_table())
    assert not missing, (
        f"add a row for {sorted(missing)} to EXPECTED in tests/test_access_matrix.py"
    )


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_capability_matches_the_procedure(capability):
    expected = expected_table().get(capability)
    assert expected is not None, f"no row for {capability} in EXPECTED"
    actual = CAPABILITIES[capability]
    assert actual == expected, (
        f"{capability}: policy grants extra {sorted(actual - expected)}, "
        f"lacks {sorted(expected - actual)}"
    )


# --- (a) Every route is named with its rule ---------------------------------
def test_every_route_is_in_the_access_tables(app):
    tables = all_endpoints()
    unnamed, wrong = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in tables:
            unnamed.append(f"{rule.endpoint} ({rule.rule})")
            continue
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        carried = getattr(view, "access_rule", None)
        if carried != tables[rule.endpoint]:
            wrong.append(
                f"{rule.endpoint}: view {carried!r}, table {tables[rule.endpoint]!r}"
            )
    assert not unnamed, "routes missing from tests/access_tables/: " + ", ".join(
        unnamed
    )
    assert not wrong, "access rule differs from the table: " + "; ".join(wrong)


def test_every_table_rule_is_public_or_a_capability():
    for endpoint, rule in all_endpoints().items():
        assert rule == PUBLIC or rule in CAPABILITIES, f"{endpoint}: unknown {rule!r}"


# --- (b) Each route answers each role as the policy predicts ----------------
def _get_routes(app) -> list:
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if set(rule.arguments) - {"building_id"}:
            continue
        routes.append(rule)
    return sorted(routes, key=lambda r: r.rule)


CASES = (
    [("anonymous", None)]
    + [(role.value, "own") for role in sorted(DISTRICT_ROLES)]
    + [
        (role.value, where)
        for role in sorted(BUILDING_ROLES)
        for where in ("own", "other")
    ]
)


@pytest.fixture
def district(app):
    """Two schools; the pages are asked about the first one."""
    with app.app_context():
        first = factories.building("AAA", name="Alder Elementary")
        second = factories.building("BBB", name="Birch Middle")
        return SimpleNamespace(first=first.id, second=second.id)


def _user_for(app, role: Role, building_id: int):
    with app.app_context():
        from portal.directory.models import Building
        from portal.extensions import db

        building = db.session.get(Building, building_id)
        user = factories.user(role, building=building)
        return SimpleNamespace(id=user.id)


def _expected(rule, endpoint_rule: str, role: Role | None, where: str | None) -> str:
    if endpoint_rule == PUBLIC:
        return "public"
    if role is None:
        return "signin"
    if role not in CAPABILITIES[endpoint_rule]:
        return "forbidden"
    if "building_id" in rule.arguments and role in BUILDING_ROLES and where == "other":
        return "not_found"
    return "allowed"


def _outcome(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303) and "/signin" in location:
        return "signin"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not_found"
    if status < 400:
        return "allowed"
    return f"status {status}"


@pytest.mark.parametrize(("role_name", "where"), CASES)
def test_get_routes_answer_as_the_policy_predicts(
    app, client, login, district, role_name, where
):
    role = None if role_name == "anonymous" else Role(role_name)
    if role is not None:
        home = district.second if where == "other" else district.first
        login(_user_for(app, role, home))

    tables = all_endpoints()
    mismatches = []
    for rule in _get_routes(app):
        url = rule.rule.replace("<int:building_id>", str(district.first))
        response = client.get(url)
        expected = _expected(rule, tables[rule.endpoint], role, where)
        outcome = _outcome(response)
        if expected == "public":
            if response.status_code >= 500:
                mismatches.append(f"{url}: public route answered {outcome}")
        elif outcome != expected:
            mismatches.append(f"{url}: expected {expected}, got {outcome}")
    assert not mismatches, f"{role_name} ({where}): " + "; ".join(mismatches)
