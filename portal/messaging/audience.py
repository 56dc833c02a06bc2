"""Who a message reaches: households (contact points) and people.

Reads the directory with plain SQL rows, never ORM objects, so a district
send of 100,000 households stays quick. A household is the set of people
reached at one contact point; siblings sharing a phone get one call.
"""

import hashlib
import json
import logging
from collections import Counter

from redis.exceptions import RedisError
from sqlalchemy import select

from portal.directory.models import (
    Building,
    ContactPoint,
    Guardian,
    GuardianLink,
    ImportRun,
    StaffMember,
    Student,
)
from portal.extensions import db
from portal.queues import shared_redis

logger = logging.getLogger(__name__)

PHONE_KINDS = ("mobile_phone", "home_phone", "phone", "work_phone")
CHANNEL_ORDER = ("phone", "sms", "email")
# A kept count outlives no directory import (the key names the last one);
# the expiry only bounds what Redis holds.
KEPT_SECONDS = 600


class Household:
    """One contact point on one channel and everyone reached there."""

    __slots__ = ("address", "building_id", "channel", "guardians", "languages")
    __slots__ += ("staff", "students")

    def __init__(self, channel: str, address: str, building_id: int | None):
        self.channel = channel
        self.address = address
        self.building_id = building_id
        self.languages: list[str] = []
        self.guardians: set[int] = set()
        self.staff: set[int] = set()
        self.students: set[int] = set()

    @property
    def language(self) -> str:
        """The household's language: the first non-English one, else English."""
        for language in self.languages:
            if language and language != "en":
                return language
        return "en"

    def recipients(self) -> dict:
        return {
            "guardians": sorted(self.guardians),
            "staff": sorted(self.staff),
            "students": sorted(self.students),
        }


def normalise(kind: str, address: str | None) -> str | None:
    """The contact point's address as deliveries key it, or None if unusable."""
    address = (address or "").strip()
    if not address:
        return None
    if kind == "email":
        return address.lower() if "@" in address else None
    return address if address.startswith("+") and address[1:].isdigit() else None


def building_ids(audience: dict) -> list[int] | None:
    """The audience's buildings, or None for every building."""
    chosen = (audience or {}).get("buildings", "all")
    return None if chosen in ("all", None) else [int(b) for b in chosen]


def _grades(audience: dict) -> list[str] | None:
    chosen = (audience or {}).get("grades", "all")
    return None if chosen in ("all", None, []) else [str(g) for g in chosen]


def _guardian_rows(audience: dict):
    query = (
        select(
            ContactPoint.kind,
            ContactPoint.address,
            ContactPoint.priority,
            Guardian.id,
            Guardian.language,
            Student.id,
            Student.home_language,
            Student.building_id,
            GuardianLink.priority,
        )
        .join(Guardian, ContactPoint.guardian_id == Guardian.id)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .join(Student, Student.id == GuardianLink.student_id)
        .where(
            ContactPoint.active.is_(True),
            Guardian.active.is_(True),
            GuardianLink.active.is_(True),
            Student.active.is_(True),
        )
    )
    buildings = building_ids(audience)
    if buildings is not None:
        query = query.where(Student.building_id.in_(buildings))
    grades = _grades(audience)
    if grades is not None:
        query = query.where(Student.grade.in_(grades))
    return db.session.execute(query)


def _staff_rows(audience: dict):
    query = (
        select(
            ContactPoint.kind,
            ContactPoint.address,
            ContactPoint.priority,
            StaffMember.id,
            StaffMember.language,
            StaffMember.building_id,
        )
        .join(StaffMember, ContactPoint.staff_member_id == StaffMember.id)
        .where(ContactPoint.active.is_(True), StaffMember.active.is_(True))
    )
    email_query = select(
        StaffMember.id, StaffMember.email, StaffMember.language, StaffMember.building_id
    ).where(StaffMember.active.is_(True), StaffMember.email.is_not(None))
    buildings = building_ids(audience)
    if buildings is not None:
        query = query.where(StaffMember.building_id.in_(buildings))
        email_query = email_query.where(StaffMember.building_id.in_(buildings))
    rows = list(db.session.execute(query))
    for staff_id, email, language, building_id in db.session.execute(email_query):
        rows.append(("email", email, 99, staff_id, language, building_id))
    return rows


def _written_channels(wanted: set[str]) -> dict[str, tuple[str, ...]]:
    """Per contact-point kind, the non-call channels it serves among `wanted`."""
    serves = {"email": ("email",), "mobile_phone": ("sms",)}
    return {k: tuple(c for c in v if c in wanted) for k, v in serves.items()}


def _best_phones(points: list[tuple]) -> dict[int, str]:
    """Each person's one phone to call: lowest priority, then by phone kind."""
    best: dict[int, tuple] = {}
    for kind, address, priority, person in points:
        rank = (priority or 1, PHONE_KINDS.index(kind) if kind in PHONE_KINDS else 9)
        if person not in best or rank < best[person][0]:
            best[person] = (rank, address)
    return {person: address for person, (_rank, address) in best.items()}


def resolve(audience: dict, channels) -> dict[tuple[str, str], Household]:
    """The households to reach, keyed by (channel, normalised address)."""
    wanted = set(channels)
    groups = set((audience or {}).get("groups", []))
    found: dict[tuple[str, str], Household] = {}
    if "guardians" in groups:
        _add_guardians(found, audience, wanted)
    if "staff" in groups:
        _add_staff(found, audience, wanted)
    return found


def _household(found, channel, address, building_id) -> Household:
    key = (channel, address)
    if key not in found:
        found[key] = Household(channel, address, building_id)
    return found[key]


def _add_guardians(found, audience, wanted) -> None:
    people: dict[int, dict] = {}
    phones = []
    written = _written_channels(wanted)
    for kind, raw, priority, gid, glang, sid, slang, bid, _link in _guardian_rows(
        audience
    ):
        person = people.setdefault(
            gid, {"language": glang or slang or "en", "students": set(), "bid": bid}
        )
        person["students"].add(sid)
        person["bid"] = min(person["bid"], bid)
        address = normalise(kind, raw)
        if address is None:
            continue
        if kind in PHONE_KINDS:
            phones.append((kind, address, priority, gid))
        for channel in written.get(kind, ()):
            person.setdefault("points", set()).add((channel, address))
    best = _best_phones(phones) if "phone" in wanted else {}
    for gid, person in people.items():
        points = set(person.get("points", set()))
        if gid in best:
            points.add(("phone", best[gid]))
        for channel, address in points:
            home = _household(found, channel, address, person["bid"])
            home.languages.append(person["language"].lower())
            home.guardians.add(gid)
            home.students |= person["students"]


def _add_staff(found, audience, wanted) -> None:
    phones = []
    written = _written_channels(wanted)
    info: dict[int, tuple] = {}
    points: dict[int, set] = {}
    for kind, raw, priority, staff_id, language, bid in _staff_rows(audience):
        info[staff_id] = ((language or "en").lower(), bid)
        address = normalise(kind, raw)
        if address is None:
            continue
        if kind in PHONE_KINDS:
            phones.append((kind, address, priority, staff_id))
        for channel in written.get(kind, ()):
            points.setdefault(staff_id, set()).add((channel, address))
    best = _best_phones(phones) if "phone" in wanted else {}
    for staff_id, address in best.items():
        points.setdefault(staff_id, set()).add(("phone", address))
    for staff_id, reached in points.items():
        language, bid = info[staff_id]
        for channel, address in reached:
            home = _household(found, channel, address, bid)
            home.languages.append(language)
            home.staff.add(staff_id)


def summarize(audience: dict, channels) -> dict:
    """Households and people by home language, for the live count."""
    return _counted(resolve(audience, _counted_channels(channels)), channels)


def _counted_channels(channels) -> list[str]:
    """The channels a count is for, in order: phone when none is chosen."""
    return [c for c in CHANNEL_ORDER if c in (channels or [])] or ["phone"]


def _counted(found: dict, channels) -> dict:
    primary = _counted_channels(channels)[0]
    households: Counter = Counter()
    people: dict[str, set] = {}
    for (channel, _address), home in found.items():
        if channel == primary:
            households[home.language] += 1
        for gid in home.guardians:
            people.setdefault(home.language, set()).add(("g", gid))
        for staff_id in home.staff:
            people.setdefault(home.language, set()).add(("s", staff_id))
    languages = sorted(set(households) | set(people), key=lambda x: (x != "en", x))
    rows = [
        {
            "language": language,
            "households": households[language],
            "people": len(people.get(language, ())),
        }
        for language in languages
    ]
    return {
        "primary_channel": primary,
        "rows": rows,
        "households": sum(households.values()),
        "people": sum(r["people"] for r in rows),
        "by_channel": dict(Counter(channel for channel, _ in found)),
    }


def cached_summary(audience: dict, channels) -> dict:
    """`summarize`, kept in Redis per audience and channels until an import.

    Counting a district's audience reads every guardian, link and contact
    point (seconds of work at 50,000 households), and the compose page shows
    the count after every step.
    """
    return _kept("summary", audience, channels)


def cached_addresses(audience: dict, channels) -> list[str]:
    """The audience's distinct addresses on its channels, kept the same way.

    The outreach limit compares them with the last week's deliveries on
    every render of an outreach draft's compose page.
    """
    return _kept("addresses", audience, channels)


def _kept(name: str, audience: dict, channels):
    """The count or the addresses, from Redis or from one resolve of both.

    The directory only changes by an import, so the key names the last
    finished one; with no import on record (a directory written some other
    way) nothing is kept. Without Redis both are worked out each time.
    """
    version = _directory_version()
    client = shared_redis()
    keys = {
        part: "audience:"
        + hashlib.sha256(
            json.dumps(
                [part, version, audience or {}, sorted(channels or [])],
                sort_keys=True,
            ).encode()
        ).hexdigest()
        for part in ("summary", "addresses")
    }
    kept = None
    try:
        if version is not None:
            kept = client.get(keys[name])
    except RedisError:
        logger.warning("audience_cache_unavailable")
        version = None
    if kept is not None:
        return json.loads(kept)

    found = resolve(audience, _counted_channels(channels))
    values = {
        "summary": _counted(found, channels),
        # No channel chosen reaches no address (the count shows phone).
        "addresses": sorted({a for _c, a in found}) if channels else [],
    }
    if version is not None:
        try:
            for part, value in values.items():
                client.set(keys[part], json.dumps(value), ex=KEPT_SECONDS)
        except RedisError:
            logger.warning("audience_cache_unavailable")
    return values[name]


def _directory_version() -> str | None:
    """The last finished directory import, as an id and a moment."""
    last = db.session.execute(
        select(ImportRun.id, ImportRun.finished_at)
        .where(ImportRun.source == "directory", ImportRun.status == "imported")
        .order_by(ImportRun.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    return f"{last.id}@{last.finished_at.isoformat() if last.finished_at else ''}"


def buildings_by_id(ids) -> dict[int, Building]:
    """Buildings keyed by id (all when `ids` is None)."""
    query = select(Building)
    if ids is not None:
        query = query.where(Building.id.in_(list(ids)))
    return {b.id: b for b in db.session.scalars(query)}
