"""Who may compose, record, approve and send: pure reads of `portal.policy`.

Every function takes the user's role assignments as (role, building id)
pairs, the message's kind and scope, and its building (None for a
district-wide message), so a test can check every cell without a database.
"""

from collections.abc import Iterable

from portal.policy import (
    ACTS_AS_PRINCIPAL,
    CAPABILITIES,
    CONTENT_APPROVERS,
    DISTRICT_ROLES,
    EMERGENCY_ADVISERS,
    LIMIT_OVERRIDERS,
    RECORDERS,
    SENDERS,
    SITUATIONS,
    UNCAPPED_KINDS,
    Kind,
    Role,
    Scope,
    needs_content_approval,
    needs_emergency_advice,
)

RolePairs = Iterable[tuple[Role | str, int | None]]

# Attendance messages are built by the attendance area, never composed.
COMPOSABLE_KINDS = (Kind.EMERGENCY, Kind.CLOSURE, Kind.OUTREACH)

CONTENT = "content"
EMERGENCY_ADVICE = "emergency_advice"
LIMIT_OVERRIDE = "limit_override"
APPROVAL_KINDS = (CONTENT, EMERGENCY_ADVICE, LIMIT_OVERRIDE)

_APPROVERS = {
    CONTENT: CONTENT_APPROVERS,
    EMERGENCY_ADVICE: EMERGENCY_ADVISERS,
    LIMIT_OVERRIDE: LIMIT_OVERRIDERS,
}


def scope_for(building_id: int | None) -> Scope:
    """District scope for a message without a building, else building scope."""
    return Scope.DISTRICT if building_id is None else Scope.BUILDING


def roles_at(user_roles: RolePairs, building: int | None) -> frozenset[Role]:
    """The roles that count for a message of `building` (None = district).

    District roles count everywhere; a building role counts only for its
    own building and never for a district-wide message.
    """
    found = set()
    for role, role_building in user_roles:
        role = Role(role)
        own_building = building is not None and role_building == building
        if role in DISTRICT_ROLES or own_building:
            found.add(role)
    return frozenset(found)


def _consistent(scope: Scope, building: int | None) -> bool:
    return (scope is Scope.DISTRICT) == (building is None)


def situation_senders(situation: str | None) -> frozenset[Role]:
    """Who may send an emergency of this situation ("other" when unknown)."""
    entry = SITUATIONS.get(situation or "other", SITUATIONS["other"])
    roles = set(entry.senders)
    if Role.PRINCIPAL in roles:
        roles |= ACTS_AS_PRINCIPAL
    return frozenset(roles)


def senders_for(kind: Kind, scope: Scope, situation: str | None = None):
    """The roles that may send this kind at this scope (and situation)."""
    allowed = SENDERS.get((Kind(kind), Scope(scope)), frozenset())
    if Kind(kind) is Kind.EMERGENCY:
        allowed = allowed & situation_senders(situation)
    return allowed


def composers_for(kind: Kind, scope: Scope) -> frozenset[Role]:
    """Senders and recorders of the kind, among those who may compose at all."""
    key = (Kind(kind), Scope(scope))
    either = SENDERS.get(key, frozenset()) | RECORDERS.get(key, frozenset())
    return either & CAPABILITIES["messages.compose"]


def may_compose(user_roles: RolePairs, kind, scope, building) -> bool:
    """Whether the user may write (and edit) a draft of this kind here."""
    if Kind(kind) not in COMPOSABLE_KINDS or not _consistent(Scope(scope), building):
        return False
    return bool(roles_at(user_roles, building) & composers_for(kind, scope))


def may_record(user_roles: RolePairs, kind, scope, building) -> bool:
    """Whether the user may record the voice of this kind here."""
    if not _consistent(Scope(scope), building):
        return False
    recorders = RECORDERS.get((Kind(kind), Scope(scope)), frozenset())
    return bool(roles_at(user_roles, building) & recorders)


def may_send(user_roles: RolePairs, kind, scope, building, situation=None) -> bool:
    """Whether the user may press Send (approvals are checked separately)."""
    if not _consistent(Scope(scope), building):
        return False
    return bool(roles_at(user_roles, building) & senders_for(kind, scope, situation))


def may_approve(user_roles: RolePairs, approval_kind: str, kind, scope, building):
    """Whether the user may give (or refuse) this kind of approval here."""
    if not _consistent(Scope(scope), building):
        return False
    if approval_kind == CONTENT and not needs_content_approval(Scope(scope)):
        return False
    if approval_kind == EMERGENCY_ADVICE and not needs_emergency_advice(Kind(kind)):
        return False
    if approval_kind == LIMIT_OVERRIDE and Kind(kind) in UNCAPPED_KINDS:
        return False
    approvers = _APPROVERS.get(approval_kind, frozenset())
    return bool(roles_at(user_roles, building) & approvers)


def may_view(user_roles: RolePairs, building: int | None) -> bool:
    """District roles see every message; building roles their building's."""
    viewers = CAPABILITIES["messages.view"]
    for role, role_building in user_roles:
        role = Role(role)
        if role not in viewers:
            continue
        if role in DISTRICT_ROLES or (
            building is not None and role_building == building
        ):
            return True
    return False


def required_approvals(kind, scope, over_limit: bool = False) -> frozenset[str]:
    """The approvals the policy asks for before this message may go."""
    needed = set()
    if needs_content_approval(Scope(scope)):
        needed.add(CONTENT)
    if needs_emergency_advice(Kind(kind)):
        needed.add(EMERGENCY_ADVICE)
    if over_limit and Kind(kind) not in UNCAPPED_KINDS:
        needed.add(LIMIT_OVERRIDE)
    return frozenset(needed)


def missing_approvals(required, granted, sender_roles=frozenset()) -> frozenset[str]:
    """Required approvals not yet granted for the current version.

    A sender holding a content-approver role approves the content by sending.
    """
    missing = set(required) - set(granted)
    if CONTENT in missing and set(sender_roles) & CONTENT_APPROVERS:
        missing.discard(CONTENT)
    return frozenset(missing)
