"""Settings: production refuses to start on unsafe values and says which."""

import pytest

from portal import ConfigurationError, create_app
from portal.config import DEV_SECRET_KEY, Config

SAFE = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "PUBLIC_BASE_URL": "https://notify.district.example",
    "OIDC_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
    "OIDC_CLIENT_ID": "portal",
    "OIDC_CLIENT_SECRET": "a-real-secret",
    "DEV_SIGNIN_HELPERS": False,
}


def test_safe_production_settings_have_no_problems():
    assert Config(**SAFE).problems() == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEV_SIGNIN_HELPERS": True}, "DEV_SIGNIN_HELPERS"),
        ({"OIDC_ISSUER": ""}, "OIDC_ISSUER"),
        ({"OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID"),
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET"),
        ({"PUBLIC_BASE_URL": "http://notify.district.example"}, "PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_to_start_and_says_which(change, named):
    with pytest.raises(ConfigurationError) as refused:
        create_app(Config(**(SAFE | change)))
    assert named in str(refused.value)


def test_every_problem_is_named_at_once():
    config = Config(PORTAL_ENV="production", DEV_SIGNIN_HELPERS=True)
    message = "; ".join(config.problems())
    for name in ("SECRET_KEY", "DEV_SIGNIN_HELPERS", "OIDC_ISSUER", "OIDC_CLIENT_ID"):
        assert name in message


def test_development_starts_with_defaults():
    assert Config().problems() == []
    assert not Config().is_production


def test_environment_values_are_typed(monkeypatch):
    monkeypatch.setenv("DEV_SIGNIN_HELPERS", "yes")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("PLIVO_CALLS_PER_SECOND", "0.5")
    config = Config.from_env()
    assert config.DEV_SIGNIN_HELPERS is True
    assert config.SMTP_PORT == 2525
    assert config.PLIVO_CALLS_PER_SECOND == 0.5


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ("development", False),
        ("testing", False),
        ("staging", True),
        ("production", True),
    ],
)
def test_session_cookie_is_secure_outside_development(env, secure):
    settings = Config(PORTAL_ENV=env).flask_settings()
    assert settings["SESSION_COOKIE_SECURE"] is secure
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
