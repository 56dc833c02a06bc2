"""The IT administrator's provider rates reach the shared throttle."""

from portal import district_settings
from portal.delivery import throttle
from portal.extensions import db


def test_settings_page_rate_overrides_the_configured_one(app_ctx, monkeypatch):
    seen = []
    monkeypatch.setattr(
        throttle, "reserve", lambda channel, rate, connection: seen.append(rate) or 0
    )
    throttle.acquire("call", connection=object())
    district_settings.put("provider_calls_per_second", 7, "test")
    db.session.commit()
    throttle.acquire("call", connection=object())
    assert seen == [float(app_ctx.config["PLIVO_CALLS_PER_SECOND"]), 7.0]
