"""Audited actions of other areas that exist today: each leaves a row.

The rest of issue 7's list (approve, reject, send, cancel, hold, import) is
covered by those areas' own tests; this module checks the shape of the row
(who, building, from where) on a page that shows student or guardian data
and on a compose.
"""

import pytest
from sqlalchemy import select

from portal.accounts import audit
from portal.accounts.models import AuditEvent
from portal.extensions import db
from portal.messaging import service as messaging


def _contact_log(client, district):
    return client.get(f"/contacts/log/{district['lakeview'].id}")


def _absences(client, district):
    return client.get(f"/attendance/{district['lakeview'].id}")


def _compose(client, district):
    messaging.create_draft(
        district["principal"],
        kind="outreach",
        building_id=district["lakeview"].id,
        title="Picture day",
        category="picture_day",
    )


@pytest.mark.parametrize(
    ("action", "trigger", "over_http"),
    [
        ("contacts.log_viewed", _contact_log, True),
        ("attendance.absences_viewed", _absences, True),
        ("messaging.compose", _compose, False),
    ],
)
def test_other_area_action_is_audited(
    action, trigger, over_http, app, client, login, make, district
):
    login(district["principal"])
    response = trigger(client, district)
    if over_http:
        assert response.status_code == 200

    row = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    assert row is not None, f"no audit row for {action}"
    assert row.user_id == district["principal"].id
    assert row.building_id == district["lakeview"].id
    if over_http:
        assert row.remote_addr == "127.0.0.1"
    assert audit.verify_chain() == []
