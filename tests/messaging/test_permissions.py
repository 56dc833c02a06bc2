"""The permission matrix: every action x role x own/other building/district.

The expectations are written out here by hand from the procedure, so that a
change to `portal/policy.py` that breaks the procedure fails a cell.
"""

import pytest

from portal.messaging import rules
from portal.policy import Role, Scope

SUP = Role.SUPERINTENDENT
AS = Role.ASSISTANT_SUPERINTENDENT
CRD = Role.COMMUNITY_RELATIONS_DIRECTOR
DES = Role.SUPERINTENDENT_DESIGNEE
IT = Role.IT_ADMIN
P = Role.PRINCIPAL
AP = Role.ASSISTANT_PRINCIPAL
PD = Role.PRINCIPAL_DESIGNEE
AC = Role.ATTENDANCE_CLERK
OS = Role.OFFICE_STAFF

OWN, OTHER = 1, 2
WHERE = {"district": None, "own": OWN, "other": OTHER}

# action -> kind -> where -> roles allowed. Emergencies use situation "other".
EXPECTED = {
    "compose": {
        "outreach": {
            "district": {SUP, DES, CRD, IT},
            "own": {SUP, CRD, IT, P, AP, PD},
            "other": {SUP, CRD, IT},
        },
        "closure": {"district": {SUP, DES, CRD, IT}, "own": set(), "other": set()},
        "emergency": {
            "district": {SUP, DES, CRD},
            "own": {SUP, CRD, P, AP, PD},
            "other": {SUP, CRD},
        },
    },
    "record": {
        "outreach": {
            "district": {SUP, CRD, IT},
            "own": {SUP, CRD, IT, P},
            "other": {SUP, CRD, IT},
        },
        "closure": {"district": {SUP, CRD, IT}, "own": set(), "other": set()},
        "emergency": {
            "district": {SUP, CRD},
            "own": {SUP, CRD, P},
            "other": {SUP, CRD},
        },
    },
    "send": {
        "outreach": {
            "district": {SUP, DES, CRD, IT},
            "own": {P, AP, PD},
            "other": set(),
        },
        "closure": {"district": {SUP, DES, CRD, IT}, "own": set(), "other": set()},
        "emergency": {
            "district": {SUP, CRD},
            "own": {SUP, CRD, P, AP, PD},
            "other": {SUP, CRD},
        },
    },
    "approve_content": {
        kind: {"district": {SUP, DES, CRD}, "own": set(), "other": set()}
        for kind in ("outreach", "closure", "emergency")
    },
    "advise": {
        "outreach": {"district": set(), "own": set(), "other": set()},
        "closure": {"district": set(), "own": set(), "other": set()},
        "emergency": {"district": {AS}, "own": {AS}, "other": {AS}},
    },
    "override_limit": {
        "outreach": {
            "district": {SUP, DES, CRD},
            "own": {SUP, DES, CRD},
            "other": {SUP, DES, CRD},
        },
        "closure": {
            "district": {SUP, DES, CRD},
            "own": {SUP, DES, CRD},
            "other": {SUP, DES, CRD},
        },
        "emergency": {"district": set(), "own": set(), "other": set()},
    },
}

APPROVAL_ACTIONS = {
    "approve_content": rules.CONTENT,
    "advise": rules.EMERGENCY_ADVICE,
    "override_limit": rules.LIMIT_OVERRIDE,
}


def allowed(action, role, kind, where) -> bool:
    """Ask the rules, for a user holding `role` (building roles at OWN)."""
    user_roles = [(role, None if role in rules.DISTRICT_ROLES else OWN)]
    building = WHERE[where]
    scope = rules.scope_for(building)
    if action == "compose":
        return rules.may_compose(user_roles, kind, scope, building)
    if action == "record":
        return rules.may_record(user_roles, kind, scope, building)
    if action == "send":
        return rules.may_send(user_roles, kind, scope, building, "other")
    return rules.may_approve(
        user_roles, APPROVAL_ACTIONS[action], kind, scope, building
    )


CELLS = [
    (action, kind, where, role)
    for action, kinds in EXPECTED.items()
    for kind, wheres in kinds.items()
    for where in wheres
    for role in Role
]


@pytest.mark.parametrize(("action", "kind", "where", "role"), CELLS)
def test_permission_cell(action, kind, where, role):
    expected = role in EXPECTED[action][kind][where]
    assert allowed(action, role, kind, where) is expected


SITUATION_SENDERS_OWN = {
    "evacuation": {P, AP, PD},
    "weapon": {SUP, P, AP, PD},
    "lockdown": {P, AP, PD},
    "fire": {P, AP, PD},
    "injury_or_death": {SUP, CRD, P, AP, PD},
    "other": {SUP, CRD, P, AP, PD},
}


@pytest.mark.parametrize("situation", sorted(SITUATION_SENDERS_OWN))
@pytest.mark.parametrize("role", list(Role))
def test_emergency_senders_follow_the_situation(situation, role):
    user_roles = [(role, None if role in rules.DISTRICT_ROLES else OWN)]
    expected = role in SITUATION_SENDERS_OWN[situation]
    got = rules.may_send(user_roles, "emergency", Scope.BUILDING, OWN, situation)
    assert got is expected


@pytest.mark.parametrize(
    ("kind", "scope", "over", "needed"),
    [
        ("outreach", Scope.BUILDING, False, set()),
        ("outreach", Scope.BUILDING, True, {"limit_override"}),
        ("outreach", Scope.DISTRICT, False, {"content"}),
        ("closure", Scope.DISTRICT, False, {"content"}),
        ("emergency", Scope.BUILDING, True, {"emergency_advice"}),
        ("emergency", Scope.DISTRICT, False, {"content", "emergency_advice"}),
    ],
)
def test_required_approvals(kind, scope, over, needed):
    assert rules.required_approvals(kind, scope, over) == needed


def test_content_approver_approves_by_sending_but_not_advice():
    needed = {"content", "emergency_advice"}
    assert rules.missing_approvals(needed, set(), {SUP}) == {"emergency_advice"}
    assert rules.missing_approvals(needed, set(), {IT}) == needed


# Pages: who reaches a message of the school, and of another school.
PAGE_EXPECTED = {
    # role: (status at own building, status at another building)
    SUP: (200, 200),
    AS: (200, 200),
    CRD: (200, 200),
    DES: (200, 200),
    IT: (200, 200),
    P: (200, 404),
    AP: (200, 404),
    PD: (200, 404),
    AC: (403, 403),
    OS: (403, 403),
}


@pytest.mark.parametrize("role", list(Role))
def test_message_page_by_role_and_building(
    client, login, person, school, other_school, role
):
    from tests.messaging.helpers import ready_message

    own = ready_message(person(P), building=school)
    other = ready_message(person(P, building=other_school), building=other_school)
    login(person(role))
    own_status, other_status = PAGE_EXPECTED[role]
    assert client.get(f"/messages/{own.id}").status_code == own_status
    assert client.get(f"/messages/{other.id}").status_code == other_status
