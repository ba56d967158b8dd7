"""Every link a person is shown answers: log in as each role of the demo data, start from the home
page and follow every same-site link breadth-first (depth 3). A link to a page the reader may not
open (403, 404) is a dead end the product put there; so is a link that only bounces to the login.

Not followed: logout (a POST anyway), downloads (CSV, XLSX, .ics) and signed links from e-mails
(they are tested with their own features), and links to static files."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pyotp
import pytest

from fieldlab.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from fieldlab.extensions import db
from fieldlab.timeutil import local, utcnow

MAX_DEPTH = 3
MAX_PAGES = 400
SKIPPED = re.compile(
    r"^/static/|/uitloggen|\.(csv|xlsx|ics|pdf)$|/download|/export|/csv|/xlsx|/ical|/agenda/feed"
    r"|/uitnodiging/|/wachtwoord-herstellen/|/antwoord/|/rsvp/|/meedoen/|/evaluatie/[A-Za-z0-9_.-]{20,}"
)
# Redirects a link may answer with on purpose: none so far; a redirect is followed once and
# must land on a page that answers 200 (not the login page).


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def same_site_links(page_url: str, html: str) -> list[str]:
    parser = LinkParser()
    parser.feed(html)
    found = []
    for href in parser.links:
        url = urldefrag(urljoin("http://localhost" + page_url, href)).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIPPED.search(parts.path):
            found.append(path)
    return found


def log_in(client, local_part: str) -> None:
    response = client.post("/inloggen", data={"email": f"{local_part}@{DEMO_DOMAIN}", "password": DEMO_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    if response.headers["Location"].endswith("/inloggen/code"):
        response = client.post("/inloggen/code", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
        assert response.status_code == 303


def crawl(client) -> tuple[list[str], int]:
    """Breadth-first from the home page; returns the broken links and how many pages answered."""
    seen = {"/"}
    queue = deque([("/", 0, "(start)")])
    broken, visited = [], 0
    while queue and visited < MAX_PAGES:
        url, depth, source = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(response.headers["Location"])
            if target.path == "/inloggen":
                broken.append(f"{source} → {url}: redirects to the login page")
                continue
            url = target.path + (f"?{target.query}" if target.query else "")
            response = client.get(url)
        if response.status_code != 200:
            broken.append(f"{source} → {url}: {response.status_code}")
            continue
        visited += 1
        if depth == MAX_DEPTH or not response.content_type.startswith("text/html"):
            continue
        for link in same_site_links(url, response.get_data(as_text=True)):
            if link not in seen:
                seen.add(link)
                queue.append((link, depth + 1, url))
    return broken, visited


@pytest.fixture
def demo(app):
    seed_demo(today=local(utcnow()).date())
    db.session.commit()


@pytest.mark.parametrize("local_part", ["facilitator", "opdrachtgever", "deelnemer", "leidinggevende"])
def test_every_link_a_role_is_shown_answers(app, demo, local_part):
    client = app.test_client()
    log_in(client, local_part)

    broken, visited = crawl(client)

    assert visited > 5, "the crawl reached the pages of the role"
    assert broken == []
