"""Foundation fixtures: the portal wired to a real OpenID provider.

`app` is overridden here so that every foundation test (and the `client`,
`login` and `make` fixtures built on it) talks to the provider below.
"""

import pytest

from tests import oidc_mock
from tests.conftest import serving_app

PROVIDER_USERS = [
    {"sub": "principal-lakeview", "email": "pat@district.example", "name": "Pat Lee"},
    {"sub": "stranger", "email": "stranger@example.org", "name": "No Account"},
]


@pytest.fixture(scope="session")
def issuer():
    """A real oidc-provider-mock for this test process; yields its issuer."""
    with oidc_mock.provider(PROVIDER_USERS) as url:
        yield url


@pytest.fixture(scope="session")
def app(pg_database, redis_url, issuer, tmp_path_factory):
    """The portal on this process's PostgreSQL, signing in at `issuer`."""
    with serving_app(
        pg_database, redis_url, tmp_path_factory, OIDC_ISSUER=issuer
    ) as application:
        yield application
