"""Browser tests: a live portal, a real OpenID provider and Debian's Chromium.

Fixtures for every area's browser tests:

- `live_url`: the portal served by werkzeug in a thread, on this process's
  PostgreSQL database (the `app` below), signing in at `issuer`.
- `page`: a fresh Chromium page whose console is watched; any
  Content-Security-Policy violation fails the test at teardown.
- `sign_in(page, subject)`: walks the real sign-in, pressing the button on
  the provider's own login form.
- `screenshot(page, name)`: saves `test-artifacts/<test>-<name>.png`; a
  screenshot is also saved for every failed test.

Mark browser tests `@pytest.mark.browser` and
`@pytest.mark.xdist_group("serial")`. Never run `playwright install`: the
browser is `/usr/bin/chromium`.
"""

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests import oidc_mock
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy", "CSP violation")

# Reports every CSP violation to the console, where the collector sees it.
# Playwright injects init scripts outside the page's CSP.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(scope="session")
def issuer():
    """A real oidc-provider-mock for the browser tests."""
    with oidc_mock.provider() as url:
        yield url


@pytest.fixture(scope="session")
def live_server(pg_database, redis_url, issuer, tmp_path_factory):
    """The portal app and its werkzeug server on a free port."""
    server = make_server("127.0.0.1", 0, None, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    application = create_app(
        make_config(
            pg_database,
            redis_url,
            OIDC_ISSUER=issuer,
            PUBLIC_BASE_URL=url,
            AUDIO_DIR=str(tmp_path_factory.mktemp("audio")),
        )
    )
    with application.app_context():
        db.create_all()
    server.app = application
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield application, url
    server.shutdown()
    thread.join(5)
    server.server_close()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(live_server):
    """The live server's app, so `make`, `login` and cleanup use it too."""
    return live_server[0]


@pytest.fixture(scope="session")
def live_url(live_server) -> str:
    return live_server[1]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class ConsoleLog:
    """Console messages and page errors of one page."""

    def __init__(self):
        self.messages: list[str] = []

    def add(self, text: str) -> None:
        self.messages.append(text)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if any(k in m for k in CSP_MARKERS)]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser, console, request):
    """A fresh page; the test fails on any CSP violation it caused."""
    context = browser.new_context()
    context.add_init_script(REPORT_VIOLATIONS)
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)
    new_page.on("console", lambda m: console.add(f"{m.type}: {m.text}"))
    new_page.on("pageerror", lambda e: console.add(f"pageerror: {e}"))
    yield new_page

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_screenshot(new_page, request.node.name, "failed")
    context.close()
    assert not console.csp_violations, "CSP violations: " + "; ".join(
        console.csp_violations
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (for failure screenshots)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def save_screenshot(page, test_name: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test_name}-{name}")
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "home")` saves test-artifacts/<test>-home.png."""
    return lambda page, name: save_screenshot(page, request.node.name, name)


@pytest.fixture
def sign_in(live_url):
    """Sign in through the real provider's login form as `subject`."""

    def walk(page, subject: str) -> None:
        page.goto(f"{live_url}/signin")
        page.get_by_role("button", name="Sign in with your district account").click()
        page.wait_for_url(re.compile(r".*/oauth2/authorize.*"))
        page.fill("input[name=sub]", subject)
        page.get_by_role("button", name="Authorize").click()
        back = re.escape(live_url) + r"/(?!signin/callback)"
        page.wait_for_url(re.compile(back))

    return walk
