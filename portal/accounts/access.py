"""The one permission check: every view names a capability from the policy.

`@requires("capability")` marks a view and enforces it; `@public` marks the
few views anyone may reach (sign-in, health, signed provider callbacks).
The app refuses any request to a view that carries neither mark.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal import clock
from portal.policy import CAPABILITIES, DISTRICT_ROLES, Role

PUBLIC = "public"


def public(view: Callable) -> Callable:
    """Mark a view that needs no sign-in."""
    view.access_rule = PUBLIC
    return view


def requires(capability: str) -> Callable:
    """Allow a view only to users holding `capability` for some scope."""
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.headers.get("HX-Request"):
                    abort(401)
                return redirect(url_for("accounts.signin", next=request.full_path))
            if not holds(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access_rule = capability
        return wrapped

    return decorate


def roles_for(user, capability: str) -> list:
    """The user's role assignments in force that grant `capability`."""
    allowed = CAPABILITIES[capability]
    return [r for r in user.current_roles(clock.today()) if Role(r.role) in allowed]


def holds(user, capability: str, building_id: int | None = None) -> bool:
    """Whether the user holds `capability`, for `building_id` when given."""
    if not getattr(user, "is_authenticated", False):
        return False
    for assignment in roles_for(user, capability):
        if building_id is None or Role(assignment.role) in DISTRICT_ROLES:
            return True
        if assignment.building_id == building_id:
            return True
    return False


def building_scope(user, capability: str) -> set[int] | None:
    """Buildings the user holds `capability` for; None means every building."""
    scope: set[int] = set()
    for assignment in roles_for(user, capability):
        if Role(assignment.role) in DISTRICT_ROLES:
            return None
        scope.add(assignment.building_id)
    return scope


def require_building(capability: str, building_id: int | None) -> None:
    """Abort with 404 unless the user holds `capability` for this building.

    404 rather than 403, so ids of other buildings reveal nothing.
    """
    scope = building_scope(current_user, capability)
    if scope is None:
        return
    if building_id is None or building_id not in scope:
        abort(404)


def user_role_set(user) -> set[Role]:
    return {Role(r.role) for r in user.current_roles()}
