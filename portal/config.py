"""Settings read from the environment (and `.env` in development).

`Config.from_env()` is the only place that reads `os.environ`; everything else
receives a `Config` (or the Flask `app.config` built from it). Tests build
their own with `Config.from_env(overrides)`.
"""

import os
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "development-only-secret-key"  # noqa: S105 - refused in production

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    """Everything the portal, its workers and its scripts can be told."""

    PORTAL_ENV: str = "development"
    SECRET_KEY: str = DEV_SECRET_KEY
    DATABASE_URL: str = f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    DISTRICT_TIMEZONE: str = "America/Los_Angeles"

    OIDC_ISSUER: str = ""
    OIDC_CLIENT_ID: str = ""
    OIDC_CLIENT_SECRET: str = ""
    # Lists the demo users on the sign-in page. Refused in production.
    DEV_SIGNIN_HELPERS: bool = False

    PLIVO_AUTH_ID: str = "MAXXXXXXXXXXXXXXXXXX"
    PLIVO_AUTH_TOKEN: str = "sandbox-token"  # noqa: S105 - the sandbox's, not real
    PLIVO_API_URL: str = "https://api.plivo.com"
    PLIVO_CALLER_ID: str = "+12535550100"
    PLIVO_CALLS_PER_SECOND: float = 2.0
    PLIVO_MESSAGES_PER_SECOND: float = 5.0

    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 8025
    MAIL_FROM: str = "notifications@district.example"

    TTS_ENGINE: str = "gtts"
    AUDIO_DIR: str = str(INSTANCE_DIR / "audio")

    SESSION_IDLE_MINUTES: int = 30
    SESSION_ABSOLUTE_HOURS: int = 12

    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, overrides: dict | None = None) -> "Config":
        """Build a config from the environment, then apply `overrides`."""
        values = {}
        for f in fields(cls):
            if f.name == "extra" or f.name not in os.environ:
                continue
            raw = os.environ[f.name]
            if f.type is bool or f.type == "bool":
                values[f.name] = _bool(raw)
            elif f.type is int or f.type == "int":
                values[f.name] = int(raw)
            elif f.type is float or f.type == "float":
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        config = cls(**values)
        if overrides:
            known = {f.name for f in fields(cls)}
            extra = {k: v for k, v in overrides.items() if k not in known}
            config = replace(
                config,
                **{k: v for k, v in overrides.items() if k in known},
                extra={**config.extra, **extra},
            )
        return config

    @property
    def is_production(self) -> bool:
        return self.PORTAL_ENV == "production"

    def problems(self) -> list[str]:
        """Why this config must not run in production (empty when it may)."""
        if not self.is_production:
            return []
        found = []
        if self.SECRET_KEY in ("", DEV_SECRET_KEY) or len(self.SECRET_KEY) < 32:
            found.append("SECRET_KEY is the development default or shorter than 32")
        if self.DEV_SIGNIN_HELPERS:
            found.append("DEV_SIGNIN_HELPERS is on")
        for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
            if not getattr(self, name):
                found.append(f"{name} is not set")
        if not self.PUBLIC_BASE_URL.startswith("https://"):
            found.append("PUBLIC_BASE_URL must be https://")
        return found

    def flask_settings(self) -> dict:
        """The mapping loaded into `app.config`."""
        settings = {k: v for k, v in asdict(self).items() if k != "extra"}
        settings.update(self.extra)
        settings.update(
            SQLALCHEMY_DATABASE_URI=self.DATABASE_URL,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            # Plain HTTP only on a developer machine and in tests.
            SESSION_COOKIE_SECURE=self.PORTAL_ENV not in ("development", "testing"),
            SESSION_COOKIE_NAME="portal_session",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=self.SESSION_ABSOLUTE_HOURS),
            REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
            WTF_CSRF_TIME_LIMIT=None,
            MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        )
        return settings
