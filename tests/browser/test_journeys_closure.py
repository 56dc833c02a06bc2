"""The superintendent approves and sends a snow-day closure in the browser.

The superintendent's designee drafts the district-wide closure (by text
message: the designee does not record closures) and submits it; the superintendent finds it in the approvals queue, approves the content
and sends it. Every page is checked with axe-core.
"""

import re

import pytest

from portal.accounts.models import PortalUser
from portal.extensions import db
from portal.messaging import service
from portal.messaging.models import Message
from portal.policy import Role
from tests import factories
from tests.browser import journeys_conftest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]

axe = journeys_conftest.axe
district = journeys_conftest.district


def _submitted_closure(app, issuer) -> int:
    with app.app_context():
        designee = factories.user(
            Role.SUPERINTENDENT_DESIGNEE, issuer=issuer, subject="designee"
        )
        message = service.create_draft(
            designee, kind="closure", building_id=None, title="Snow day"
        )
        audience = {"buildings": "all", "grades": "all", "groups": ["guardians"]}
        service.edit_draft(message, designee, channels=["sms"], audience=audience)
        service.set_variant(message, designee, "en", "", "Schools are closed today.")
        service.submit(message, designee)
        db.session.commit()
        return message.id


def test_superintendent_approves_and_sends_the_snow_day_closure(
    app, page, live_url, sign_in, screenshot, axe, district, issuer, monkeypatch
):
    monkeypatch.setattr("portal.delivery.dispatch.wake", lambda message_id: None)
    message_id = _submitted_closure(app, issuer)

    sign_in(page, "super")
    page.goto(f"{live_url}/messages/approvals")
    axe.check(page)
    page.locator(f"a[href$='/messages/{message_id}']").first.click()
    page.wait_for_url(re.compile(rf".*/messages/{message_id}$"))
    axe.check(page)
    page.get_by_role("button", name="Approve the content").click()
    page.wait_for_load_state()
    screenshot(page, "approved")
    page.locator("form[action$='/send'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/messages/{message_id}$"))
    screenshot(page, "sent")
    axe.check(page)

    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.state in ("sending", "sent")
        assert db.session.get(PortalUser, message.sent_by_id).subject == "super"
    assert axe.serious == []
