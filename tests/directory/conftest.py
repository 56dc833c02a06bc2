"""Fixtures of the directory tests: a small synthetic district on disk."""

import pytest

from tests.directory.helpers import district_files, start_smtp


@pytest.fixture
def files(tmp_path):
    """A writable copy of a small synthetic district's exports."""
    return district_files(tmp_path)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server (aiosmtpd) on a free port; the portal mails it."""
    controller, inbox = start_smtp()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    yield inbox
    controller.stop()
