"""Browser journeys: one live server per test session (a thread on loopback), Debian's Chromium
driven by Playwright, and axe-core on every page a journey visits.

Every page that loads is recorded; `checked(page)` runs axe on the page as it is now and fails on
any WCAG 2.1 A/AA violation, and keeps its HTML for the Nu HTML checker (html_checker.py), which
runs once over the journey's pages at its end: any error but htmx's hx-* attributes fails the test.
At the end of each test, a page that loaded but was never checked fails the test too, so no page
slips through.
"""

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from fieldlab.extensions import db
from tests.browser import html_checker
from tests.conftest import SECRET_KEY

CHROMIUM = os.environ.get("FIELDLAB_CHROMIUM", "/usr/bin/chromium")
AXE_SCRIPT = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests need Chromium; without it they are skipped, unless CI demands them. The HTML
    check needs Java; without it only that check is left out (said in the summary), unless CI
    demands it."""
    checker_missing = html_checker.missing_reason()
    if checker_missing and html_checker.required() and any("browser" in item.keywords for item in items):
        raise pytest.UsageError(f"the Nu HTML checker is required (FIELDLAB_REQUIRE_HTML_CHECKER) but {checker_missing}")
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("FIELDLAB_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"browser tests required but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind the live server: its own database, built through the migrations."""
    from fieldlab import create_app
    from fieldlab.cli import prepare_database

    instance = tmp_path_factory.mktemp("live-instance")
    database_url = os.environ.get("FIELDLAB_TEST_DATABASE_URL") or f"sqlite:///{instance / 'live.sqlite'}"
    app = create_app({
        "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance),
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "SMTP_HOST": "",
        "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_SSL_STRICT": False,
    })
    with app.app_context():
        if os.environ.get("FIELDLAB_TEST_DATABASE_URL"):
            db.drop_all()
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
                connection.exec_driver_sql("DROP TABLE IF EXISTS apscheduler_jobs")
        prepare_database(demo=False)
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield live_app.config["BASE_URL"]
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_db(live_app):
    """An app context on the live server's database, for arranging data; commit to publish it."""
    with live_app.app_context():
        yield db
        db.session.remove()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class A11yTracker:
    """Remembers which pages loaded and which were checked with axe."""

    def __init__(self):
        self.loaded: list[str] = []
        self.checked: set[str] = set()
        self.console_errors: list[str] = []
        self.expected_errors: list[str] = []  # parts of console errors a test provokes on purpose

    @staticmethod
    def key(url: str) -> str:
        return urlsplit(url).path

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.loaded) if self.key(url) not in self.checked]


def run_axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate() goes through DevTools, so the app's CSP (no inline script) stays on.
        page.evaluate(AXE_SCRIPT)
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        AXE_TAGS,
    )


def pytest_terminal_summary(terminalreporter):
    reason = html_checker.missing_reason()
    if reason and terminalreporter.stats.get("passed"):
        terminalreporter.write_line(f"SKIPPED the Nu HTML check of the browser journeys' pages: {reason}", yellow=True)


@pytest.fixture
def new_page(browser, live_server, tmp_path):
    """Open pages in fresh browser contexts (a person each); all tracked for axe and the HTML checker."""
    contexts = []
    trackers = []
    html_pages = html_checker.HtmlPages(tmp_path / "html")

    def open_page(*, viewport=None, locale="nl-NL"):
        context = browser.new_context(base_url=live_server, viewport=viewport or {"width": 1280, "height": 900},
                                      locale=locale)
        context.set_default_timeout(10_000)
        page = context.new_page()
        tracker = A11yTracker()
        page.on("load", lambda: tracker.loaded.append(page.url))
        page.on("console", lambda message: tracker.console_errors.append(message.text)
                if message.type == "error" else None)
        page.a11y = tracker
        page.html_pages = html_pages
        contexts.append(context)
        trackers.append(tracker)
        return page

    yield open_page
    unchecked = [url for tracker in trackers for url in tracker.unchecked()]
    console_errors = [text for tracker in trackers for text in tracker.console_errors
                      if not any(expected in text for expected in tracker.expected_errors)]
    for context in contexts:
        context.close()
    assert not unchecked, f"pages loaded but never checked with axe: {unchecked}"
    # A CSP violation or a script error shows up here: the pages must run clean.
    unexpected = [text for text in console_errors if not _expected_console_error(text)]
    assert not unexpected, f"errors in the browser console: {unexpected}"
    if html_checker.missing_reason() is None:
        html_errors = html_pages.errors()
        assert not html_errors, "Nu HTML checker errors:\n" + "\n".join(html_errors)


def _expected_console_error(text: str) -> bool:
    """Status codes a journey provokes on purpose (a refused login is a 422) are logged by Chromium."""
    return "Failed to load resource: the server responded with a status of" in text


@pytest.fixture
def page(new_page):
    return new_page()


# What a person on a phone or a laptop would notice about the layout, whatever the page.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide at ${width} px)`);
  }
  for (const table of document.querySelectorAll('main table')) {
    const wrap = table.closest('.table-wrap');
    if (!wrap) {
      if (table.getBoundingClientRect().right > width + 1) problems.push('a table wider than the screen, not in a .table-wrap');
      continue;
    }
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      const cue = getComputedStyle(wrap).backgroundImage.includes('radial-gradient');
      const focusable = wrap.tabIndex >= 0 && wrap.getAttribute('role') === 'region' && wrap.hasAttribute('aria-label');
      const note = wrap.previousElementSibling;
      const said = note && note.classList.contains('table-scroll-hint');
      const inFlow = getComputedStyle(wrap.parentNode).display === 'block';
      if (!cue) problems.push(`table '${wrap.getAttribute('aria-label')}' scrolls without a visible cue`);
      if (inFlow && !said) problems.push(`table '${wrap.getAttribute('aria-label')}' scrolls without saying so`);
      if (!focusable) problems.push(`table '${wrap.getAttribute('aria-label')}' scrolls but its region cannot be reached by keyboard`);
    }
  }
  const nav = document.querySelector('.site-nav');
  if (nav && width < 768) {
    const menu = nav.querySelector('details');
    if (!menu) problems.push('no compact menu on a phone');
    else if (!menu.open && nav.getBoundingClientRect().height > 64) problems.push(`the closed menu is ${nav.getBoundingClientRect().height} px tall`);
    const current = nav.querySelector('[aria-current="page"]');
    const summary = nav.querySelector('summary');
    if (current && summary && !summary.textContent.includes(current.textContent.trim())) {
      problems.push('the menu button does not name the current section');
    }
  }
  return problems;
}"""


def checked(page):
    """Run axe on the page as it is now; fail with the violations listed. Also keeps the page's
    HTML for the Nu checker and fails on layout a person would trip over (sideways scrolling, a
    table that scrolls without showing it, a tall menu on a phone)."""
    page.wait_for_load_state("load")
    violations = run_axe(page)
    page.a11y.checked.add(A11yTracker.key(page.url))
    page.html_pages.add(page.url, page.content())
    assert not violations, f"WCAG violations on {page.url}: {violations}"
    layout = page.evaluate(LAYOUT_PROBLEMS)
    assert not layout, f"layout problems on {page.url} at {page.viewport_size['width']} px: {layout}"
    return page


@pytest.fixture
def screenshots_dir():
    directory = Path(os.environ.get("FIELDLAB_SCREENSHOTS", "/tmp/fieldlab-screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def small_pages(live_app):
    """Two rows a page, so paging shows with a handful of rows."""
    size = live_app.config["PAGE_SIZE"]
    live_app.config["PAGE_SIZE"] = 2
    yield
    live_app.config["PAGE_SIZE"] = size
