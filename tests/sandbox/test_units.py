"""The sandbox's plain parts: fates, limits, XML reading, settings."""

import pytest

from portal.sandbox import answer_xml, fates
from portal.sandbox.limits import Pacer, PeakCounter, WindowLimiter
from portal.sandbox.settings import SandboxSettings


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("+12535550100", "answered"),
        ("+12535550165", "answered"),
        ("+12535550177", "voicemail"),
        ("+12535550183", "busy"),
        ("+12535550187", "no-answer"),
        ("+12535550189", "timeout"),
        ("+12535550191", "disconnected"),
        ("+12535550194", "invalid"),
        ("+12535550199", "answered"),
    ],
)
def test_fate_by_last_two_digits(number, name):
    assert fates.fate_for(number).name == name


def test_only_the_6x_numbers_press_a_key():
    assert fates.fate_for("+12535550163").presses == "1"
    assert fates.fate_for("+12535550123").presses == ""


@pytest.mark.parametrize(
    ("number", "ok"),
    [("+12535550123", True), ("12535550123", True), ("+0123456789", False),
     ("555", False), ("+1 253 555 0123", False)],
)  # fmt: skip
def test_well_formed_numbers(number, ok):
    assert fates.is_well_formed(number) is ok


def test_window_limiter_slides():
    limiter = WindowLimiter(2, 5.0)

    assert limiter.allow(0.0)
    assert limiter.allow(1.0)
    assert not limiter.allow(4.9)
    assert limiter.allow(5.0)
    assert WindowLimiter(0, 5.0).allow(0.0)


def test_pacer_spaces_slots_and_never_goes_back():
    pacer = Pacer()

    slots = [pacer.slot(10.0, 50) for _ in range(3)]
    assert slots == pytest.approx([10.0, 10.02, 10.04])
    assert pacer.slot(20.0, 50) == 20.0
    assert pacer.slot(20.0, 0) == 20.0


def test_peak_counter_of_evenly_paced_events_is_the_rate():
    pacer, peak = Pacer(), PeakCounter()
    for _ in range(500):
        peak.add(pacer.slot(0.0, 50))

    assert peak.peak == 50
    assert peak.total == 500


def test_xml_steps_and_durations():
    steps, errors = answer_xml.parse(
        "<Response><Speak loop='2'>one two three four five</Speak>"
        "<Wait length='3'/><Hangup/></Response>"
    )

    assert errors == []
    assert [s["element"] for s in steps] == ["Speak", "Wait", "Hangup"]
    assert answer_xml.seconds(steps[0]) == 4.0
    assert answer_xml.seconds(steps[1]) == 3


def test_xml_problems_inside_get_input():
    _, errors = answer_xml.parse(
        "<Response><GetInput action='nowhere'><Hangup/></GetInput></Response>"
    )

    assert any("not allowed inside <GetInput>" in e for e in errors)
    assert any("action" in e for e in errors)


def test_settings_coerce_and_refuse():
    settings = SandboxSettings()

    settings.update({"callbacks": "false", "api_limit": "10", "fault_kinds": "429,500"})
    assert settings.callbacks is False
    assert settings.api_limit == 10
    assert settings.fault_kinds == ["429", "500"]
    with pytest.raises(ValueError, match="unknown setting"):
        settings.update({"calls_per_minute": 3})
    with pytest.raises(ValueError, match="bad value"):
        settings.update({"api_limit": "many"})


def test_command_line_settings_start_from_the_portal_config():
    from portal.config import Config
    from scripts import plivo_sandbox

    config = Config.from_env(
        {"PLIVO_AUTH_TOKEN": "portal-token", "PLIVO_CALLS_PER_SECOND": 7.0}
    )
    args = plivo_sandbox.parse_args(
        ["--no-callbacks", "--api-limit", "0", "--inbound-sms-url", "http://p.test/in"]
    )

    settings = plivo_sandbox.settings_from(args, config)

    assert settings.auth_token == "portal-token"
    assert settings.calls_per_second == 7.0
    assert settings.callbacks is False
    assert settings.api_limit == 0
    assert settings.inbound_sms_url == "http://p.test/in"
