"""In a real browser: a principal composes and sends a school event in English
and Spanish, recording the English voice in the browser and uploading the
Spanish one."""

import wave

import pytest
from sqlalchemy import select

from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging.models import Message
from portal.policy import Role
from tests import factories
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]

# Chromium's fake microphone (a beep) and no permission prompt.
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def wav_file(path) -> str:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 1600)
    return str(path)


@pytest.fixture
def school(app, issuer, monkeypatch):
    monkeypatch.setattr("portal.delivery.dispatch.wake", lambda message_id: None)
    with app.app_context():
        lakeview = factories.building("LAK", name="Lakeview Elementary")
        factories.user(
            Role.PRINCIPAL,
            building=lakeview,
            issuer=issuer,
            subject="principal-lakeview",
            display_name="Pat Lee",
        )
        for n, language in enumerate(("en", "es", "es")):
            kid = factories.student(lakeview, home_language=language)
            factories.guardian(kid, phone=f"+1253555020{n}", language=language)
        return lakeview.id


@pytest.fixture
def media_page(browser, console):
    """A page in a Chromium with a fake microphone, allowed to use it."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA
    )
    context = chromium.new_context(permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: console.add(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.add(f"pageerror: {e}"))
    yield page
    context.close()
    chromium.close()


def test_principal_composes_and_sends_in_english_and_spanish(
    app, media_page, console, live_url, sign_in, screenshot, school, tmp_path
):
    page = media_page
    sign_in(page, "principal-lakeview")
    page.goto(f"{live_url}/messages/new")
    page.get_by_label("Community outreach").check()
    page.get_by_label("Category (outreach only)").select_option("school_event")
    page.get_by_label("Title").fill("Spring concert")
    page.get_by_role("button", name="Start the draft").click()
    page.wait_for_url("**/compose")

    assert "3</strong> households" in page.locator("#audience-count").inner_html()
    page.get_by_label("Phone call").check()
    page.get_by_label("Text message (SMS)").check()
    page.get_by_role("button", name="Save the channels").click()
    page.get_by_role("heading", name="4. Content per language").wait_for()

    page.get_by_label("Written text (en)").fill("Spring concert on Friday at 6 pm.")
    page.locator("#len-en").get_by_text("1 SMS segment").wait_for()
    page.get_by_role("button", name="Save the en text").click()
    page.get_by_role("heading", name="5. Language coverage").wait_for()
    page.get_by_text("version 3").wait_for()

    page.get_by_role("button", name="Record en in the browser").click()
    page.get_by_text("Recording…").wait_for()
    page.wait_for_timeout(1200)
    page.get_by_role("button", name="Stop and save").first.click()
    page.get_by_text("version 4").wait_for()
    page.locator("#lang-en audio").wait_for()

    page.get_by_label("Written text (es)").fill("Concierto el viernes a las 6.")
    page.get_by_role("button", name="Save the es text").click()
    page.get_by_text("version 5").wait_for()
    page.locator("#audio-es").set_input_files(wav_file(tmp_path / "es.wav"))
    page.locator("#lang-es").get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("version 6").wait_for()
    page.locator("#lang-es audio").wait_for()

    coverage = page.locator("table.coverage").inner_text()
    assert "English instead" not in coverage
    assert "gap" not in coverage
    screenshot(page, "compose")

    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/messages/*")
    assert "Sent:" in page.get_by_role("alert").inner_text()
    screenshot(page, "sent")

    with app.app_context():
        message = db.session.scalar(select(Message))
        assert message.state == "sent"
        languages = {v.language: v.recording_id for v in message.variants}
        assert set(languages) == {"en", "es"}
        assert all(languages.values())
        rows = db.session.scalars(select(Delivery)).all()
        assert len(rows) == 6
        spanish = [d for d in rows if d.language == "es"]
        assert {d.content_language for d in spanish} == {"es"}
    assert console.csp_violations == []
