"""A state machine over compose, edit, approve, reject and send, for every role.

Whatever order the roles act in: a message never goes without the approvals
the policy asks for its current version, an edit always voids approval, and a
message is sent once.
"""

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, PortalUser
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import rules, sending, service
from portal.messaging.models import Message
from portal.policy import DISTRICT_ROLES, Role
from tests import factories
from tests.messaging.conftest import wav_bytes

ROLES = list(Role)
WORDS = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).map(
    lambda s: s.strip() or "x"
)


class MessageLife(RuleBasedStateMachine):
    """One message, and one user per role, acting in any order."""

    app = None
    school = None
    users: dict = {}

    def __init__(self):
        super().__init__()
        self.context = self.app.app_context()
        self.context.push()
        self.message_id = None
        self.sent_count = None

    @classmethod
    def set_up_district(cls, app):
        """One school, one user per role and one family, shared by all runs."""
        cls.app = app
        with app.app_context():
            school = factories.building("SM1")
            cls.users = {
                role: factories.user(
                    role, building=None if role in DISTRICT_ROLES else school
                ).id
                for role in ROLES
            }
            kid = factories.student(school)
            factories.guardian(kid, phone="+12535550001")
            cls.school = school.id

    def user(self, role):
        return db.session.get(PortalUser, self.users[role])

    def pairs(self, role):
        return service.role_pairs(self.user(role))

    @property
    def message(self) -> Message:
        return db.session.get(Message, self.message_id)

    @initialize(kind=st.sampled_from(rules.COMPOSABLE_KINDS), district=st.booleans())
    def compose(self, kind, district):
        building = None if district else self.school
        scope = rules.scope_for(building)
        composers = [
            r for r in ROLES if rules.may_compose(self.pairs(r), kind, scope, building)
        ]
        if not composers:
            kind, building, composers = "outreach", self.school, [Role.PRINCIPAL]
        author = self.user(composers[0])
        extra = {"emergency": {"situation": "other"}, "outreach": {}}.get(kind, {})
        if kind == "outreach":
            extra = {"category": "school_event" if building else "district_event"}
        message = service.create_draft(
            author, kind=kind, building_id=building, title="Life", **extra
        )
        service.edit_draft(message, author, channels=["sms"])
        service.set_variant(message, author, "en", "", "Hello families")
        self.message_id = message.id
        self.author = author

    @rule(role=st.sampled_from(ROLES), text=WORDS)
    def edit(self, role, text):
        message = self.message
        before_version, before_state = message.version, message.state
        scope = service.scope_of(message)
        try:
            service.set_variant(message, self.user(role), "en", "", text)
        except service.WrongState:
            db.session.rollback()
            assert before_state not in service.EDITABLE
            return
        except service.NotAllowed:
            db.session.rollback()
            assert not rules.may_compose(
                self.pairs(role), message.kind, scope, message.building_id
            )
            return
        message = self.message
        assert message.version == before_version + 1
        assert message.state == service.DRAFT
        assert service.granted(message) == set()

    @rule(role=st.sampled_from(ROLES))
    def submit(self, role):
        try:
            service.submit(self.message, self.user(role))
        except service.MessagingError:
            db.session.rollback()

    @rule(
        role=st.sampled_from(ROLES),
        kind=st.sampled_from(rules.APPROVAL_KINDS),
        approve=st.booleans(),
    )
    def decide(self, role, kind, approve):
        message = self.message
        scope = service.scope_of(message)
        may = rules.may_approve(
            self.pairs(role), kind, message.kind, scope, message.building_id
        )
        try:
            service.decide(message, self.user(role), kind, approve, "because")
        except service.NotAllowed:
            db.session.rollback()
            assert not may
        except service.WrongState:
            db.session.rollback()
        else:
            assert may

    @rule(pick=st.integers(min_value=0, max_value=30))
    def approve_as_policy_allows(self, pick):
        """Steer towards sends: a role that may give a missing approval gives it."""
        message = self.message
        scope = service.scope_of(message)
        missing = sorted(service.required(message) - service.granted(message))
        choices = [
            (role, kind)
            for kind in missing
            for role in ROLES
            if rules.may_approve(
                self.pairs(role), kind, message.kind, scope, message.building_id
            )
        ]
        if choices:
            role, kind = choices[pick % len(choices)]
            self.decide(role, kind, True)

    @rule(pick=st.integers(min_value=0, max_value=30))
    def send_as_sender(self, pick):
        """Steer towards sends: a role the policy lets send presses Send."""
        message = self.message
        scope = service.scope_of(message)
        senders = [
            role
            for role in ROLES
            if rules.may_send(
                self.pairs(role),
                message.kind,
                scope,
                message.building_id,
                message.situation,
            )
        ]
        if senders:
            self.send(senders[pick % len(senders)])

    @rule(role=st.sampled_from(ROLES))
    def send(self, role):
        message = self.message
        required = service.required(message)
        granted = service.granted(message)
        sender_roles = rules.roles_at(self.pairs(role), message.building_id)
        missing = rules.missing_approvals(required, granted, sender_roles)
        scope = service.scope_of(message)
        may = rules.may_send(
            self.pairs(role),
            message.kind,
            scope,
            message.building_id,
            message.situation,
        )
        try:
            count = sending.send(message.id, self.user(role).id)
        except service.MessagingError:
            return
        if self.sent_count is not None:
            assert count == 0
            return
        assert may, "sent by a role the policy does not allow"
        assert not missing, f"sent without {missing}"
        event(f"sent {message.kind} {scope}")
        self.sent_count = count

    @invariant()
    def sent_once(self):
        if self.message_id is None:
            return
        sends = db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "messaging.send",
                AuditEvent.target == f"message:{self.message_id}",
            )
        )
        assert sends <= 1
        rows = db.session.scalar(
            select(func.count()).where(Delivery.message_id == self.message_id)
        )
        assert rows == (self.sent_count or 0)

    @invariant()
    def approved_means_approvals_given(self):
        if self.message_id is None:
            return
        message = self.message
        if message.state == service.APPROVED:
            assert not (service.required(message) - service.granted(message))

    def teardown(self):
        db.session.rollback()
        self.context.pop()


@pytest.mark.xdist_group("serial")
def test_message_life(app, smtp, texts, woken):
    MessageLife.set_up_district(app)
    run_state_machine_as_test(
        MessageLife,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_recording_for_calls_is_required(person, school, families):
    principal = person(Role.PRINCIPAL)
    families(count=1)
    message = service.create_draft(
        principal,
        kind="outreach",
        building_id=school.id,
        title="No voice",
        category="picture_day",
    )
    service.edit_draft(message, principal, channels=["phone"])
    service.set_variant(message, principal, "en", "", "Picture day")
    with pytest.raises(service.NotReady, match="recording"):
        sending.send(message.id, principal.id)
    service.attach_recording(message, principal, "en", wav_bytes())
    assert sending.send(message.id, principal.id) == 1
