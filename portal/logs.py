"""Logging set-up, done once by `create_app` or a worker entry point."""

import logging
import logging.config

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def configure(level: str = "INFO") -> None:
    """Send key=value lines to stderr. Safe to call more than once."""
    root = logging.getLogger()
    if getattr(root, "_portal_configured", False):
        return
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"kv": {"format": FORMAT}},
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": "kv"}
            },
            "root": {"handlers": ["stderr"], "level": level},
        }
    )
    root._portal_configured = True


def mask_address(address: str | None) -> str:
    """A phone number or e-mail reduced to what a log line may show."""
    if not address:
        return "-"
    if "@" in address:
        return "***@" + address.split("@", 1)[1]
    return "***" + address[-2:]
