"""Fixtures of the contacts tests: the directory tests' small district and
real SMTP server."""

from tests.directory.conftest import files, smtp  # noqa: F401 - fixtures
