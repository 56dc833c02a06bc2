"""Demo portal users for development: one per role, on the demo district.

Each demo user signs in at the local OpenID provider with a readable subject
(`superintendent`, `principal-lakeview`, ...). Where the directory has a
staff member with a fitting job title, the user is linked to them and takes
their name and e-mail. Running it twice adds nothing.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.accounts import audit
from portal.accounts.models import PortalUser, RoleAssignment
from portal.directory.models import Building, StaffMember
from portal.extensions import db
from portal.policy import DISTRICT_ROLES, Role

logger = logging.getLogger(__name__)

# Designees hold their role for a term; the demo gives them one school year.
DESIGNEE_TERM = timedelta(days=300)
DESIGNEES = frozenset({Role.SUPERINTENDENT_DESIGNEE, Role.PRINCIPAL_DESIGNEE})


@dataclass(frozen=True)
class DemoUser:
    subject: str
    role: Role
    building: Building | None
    title_words: tuple[str, ...]
    fallback_name: str


def _slug(building: Building) -> str:
    first_word = building.name.split()[0] if building.name else building.code
    return re.sub(r"[^a-z0-9]+", "-", first_word.lower()).strip("-")


def plan(schools: list[Building]) -> list[DemoUser]:
    """The demo users for a district whose schools are `schools`."""
    users = [
        DemoUser(
            "superintendent",
            Role.SUPERINTENDENT,
            None,
            ("superintendent",),
            "Dana Whitfield",
        ),
        DemoUser(
            "assistant-superintendent",
            Role.ASSISTANT_SUPERINTENDENT,
            None,
            ("assistant superintendent",),
            "Marcus Oyelaran",
        ),
        DemoUser(
            "community-relations",
            Role.COMMUNITY_RELATIONS_DIRECTOR,
            None,
            ("community relations", "communications"),
            "Ines Carvalho",
        ),
        DemoUser(
            "superintendent-designee",
            Role.SUPERINTENDENT_DESIGNEE,
            None,
            ("chief of staff", "executive assistant"),
            "Tomasz Brennan",
        ),
        DemoUser(
            "it-admin",
            Role.IT_ADMIN,
            None,
            ("information", "technology", "it "),
            "Priya Raman",
        ),
    ]
    if not schools:
        return users

    first = schools[0]
    slug = _slug(first)
    users += [
        DemoUser(f"principal-{slug}", Role.PRINCIPAL, first, ("principal",), "Pat Lee"),
        DemoUser(
            f"assistant-principal-{slug}",
            Role.ASSISTANT_PRINCIPAL,
            first,
            ("assistant principal", "vice principal"),
            "Jordan Tui",
        ),
        DemoUser(
            f"principal-designee-{slug}",
            Role.PRINCIPAL_DESIGNEE,
            first,
            ("dean", "counselor", "coordinator"),
            "Robin Achterberg",
        ),
        DemoUser(
            f"attendance-{slug}",
            Role.ATTENDANCE_CLERK,
            first,
            ("attendance",),
            "Lupe Fa'amausili",
        ),
        DemoUser(
            f"office-{slug}",
            Role.OFFICE_STAFF,
            first,
            ("office", "secretary", "clerk"),
            "Kim Nguyen",
        ),
    ]
    if len(schools) > 1:
        second = schools[1]
        users.append(
            DemoUser(
                f"principal-{_slug(second)}",
                Role.PRINCIPAL,
                second,
                ("principal",),
                "Sam Okafor",
            )
        )
    return users


def _find_staff(demo: DemoUser, district_office: Building | None, taken: set[int]):
    """A staff member whose job title fits the demo user's role, if any."""
    home = demo.building or district_office
    if home is None:
        return None
    candidates = db.session.scalars(
        select(StaffMember)
        .where(StaffMember.building_id == home.id, StaffMember.active.is_(True))
        .order_by(StaffMember.id)
    ).all()
    for words in demo.title_words:
        for staff in candidates:
            title = f"{staff.job_title.lower()} "
            if staff.id not in taken and words in title:
                if demo.role is Role.PRINCIPAL and "assistant" in title:
                    continue
                return staff
    return None


def _mobile_of(staff: StaffMember | None) -> str | None:
    """The staff member's usable mobile number (approvers get an SMS link)."""
    if staff is None:
        return None
    for point in staff.contact_points:
        if point.kind == "mobile_phone" and point.address and point.active:
            return point.address
    return None


def _new_user(demo: DemoUser, issuer: str, staff: StaffMember | None) -> PortalUser:
    if staff is not None:
        name, email = staff.full_name, staff.email or f"{demo.subject}@district.example"
    else:
        name, email = demo.fallback_name, f"{demo.subject}@district.example"
    user = PortalUser(
        issuer=issuer,
        subject=demo.subject,
        email=email,
        display_name=name,
        staff_member_id=staff.id if staff else None,
        mobile_phone=_mobile_of(staff),
    )
    ends_on = clock.today() + DESIGNEE_TERM if demo.role in DESIGNEES else None
    user.roles.append(
        RoleAssignment(
            role=demo.role,
            building_id=None if demo.role in DISTRICT_ROLES else demo.building.id,
            ends_on=ends_on,
        )
    )
    return user


def ensure_demo_users(issuer: str) -> list[PortalUser]:
    """Create the missing demo users for `issuer`; returns the ones created."""
    buildings = db.session.scalars(select(Building).order_by(Building.id)).all()
    schools = [b for b in buildings if b.kind == "school"]
    district_office = next((b for b in buildings if b.kind == "district"), None)

    created, taken = [], set()
    for demo in plan(schools):
        exists = db.session.scalar(
            select(PortalUser.id).where(
                PortalUser.issuer == issuer, PortalUser.subject == demo.subject
            )
        )
        if exists:
            continue
        staff = _find_staff(demo, district_office, taken)
        if staff is not None:
            taken.add(staff.id)
        user = _new_user(demo, issuer, staff)
        db.session.add(user)
        created.append(user)

    db.session.flush()
    for user in created:
        audit.record(
            "accounts.demo_user_created", target=f"user:{user.id}", actor="dev_setup"
        )
    db.session.commit()
    logger.info("demo_users_created count=%s", len(created))
    return created


def claims_for(issuer: str) -> list[dict]:
    """The OpenID claims (sub, email, name) of every active user of `issuer`."""
    users = db.session.scalars(
        select(PortalUser)
        .where(PortalUser.issuer == issuer, PortalUser.active.is_(True))
        .order_by(PortalUser.id)
    ).all()
    return [{"sub": u.subject, "email": u.email, "name": u.display_name} for u in users]
