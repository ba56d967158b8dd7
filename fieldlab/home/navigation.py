"""The main menu and the rest of the page layout, rendered once per (language, visible items,
current page) and then reused.

Every page has the menu: fourteen links, each a translation, a URL and a test whether it is the
current section. Rendering it took about a sixth of a light page. What varies is small: which
items this user may see (`can`, asked per request, so a changed role shows at once), which one is
current, the language, and the application root the links start from. The HTML for one such
combination never changes while the app runs, so it is kept per app (a few hundred combinations
at most; the cache empties itself if it ever grows past MAX_ENTRIES)."""

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from fieldlab.auth.permissions import can

# (endpoint, label, permission needed or None, endpoints or blueprints that mark it as the current page)
MENU = (
    ("home.index", _l("Start"), None, ("home.index",)),
    ("problems.index", _l("Vraagstukken"), "problems.list", ("problems",)),
    ("labs.index", _l("Labs"), "labs.list", ("labs",)),
    ("boards.overview", _l("100-dagenborden"), None, ("boards", "outcomes.result")),
    ("returndays.index", _l("Terugkomdagen"), None, ("returndays",)),
    ("agenda.calendar_page", _l("Agenda"), "calendar.view", ("agenda",)),
    ("speedlabs.index", _l("Speedlabs"), "speedlab.manage", ("speedlabs",)),
    ("evaluations.index", _l("Evaluaties"), "evaluations.view", ("evaluations",)),
    ("outcomes.library_index", _l("Interventies"), "library.view",
     ("outcomes.library_index", "outcomes.library_entry", "outcomes.similar")),
    ("signals.index", _l("Signalen"), "signals.overview", ("signals",)),
    ("reports.index", _l("Rapportages"), "reports.list", ("reports",)),
    ("labs.profile", _l("Mijn profiel"), "profile.edit", ("labs.profile",)),
    ("home.admin", _l("Beheer"), "users.manage",
     ("home.admin", "auth.users", "auth.invite", "auth.user_detail", "organisations", "mail", "audit", "privacy")),
    ("auth.account", _l("Mijn account"), None, ("auth.account", "auth.two_factor_setup")),
)
MAX_ENTRIES = 5000
EXTENSION_KEY = "fieldlab.navigation"


def current_items(endpoint: str, visible: tuple[bool, ...]) -> list[tuple[str, object, bool]]:
    """(endpoint, label, is current) of the items shown. An exact endpoint wins (Mijn profiel is in
    the labs blueprint); otherwise the blueprint decides."""
    shown = [item for item, show in zip(MENU, visible, strict=True) if show]
    exact = {name for name, _, _, marks in shown if endpoint in marks}
    blueprint = endpoint.split(".")[0]
    return [(name, label, (name in exact) if exact else (blueprint in marks)) for name, label, _, marks in shown]


def layout() -> dict:
    """The parts of base.html that are the same for every user and page in one language
    (templates/_layout.html: links to the style sheets and scripts, htmx's messages, the brand,
    the footer, the account links), rendered once per language and application root."""
    key = ("layout", str(get_locale()), request.script_root)
    cache = current_app.extensions.setdefault(EXTENSION_KEY, {})
    parts = cache.get(key)
    if parts is None:
        module = current_app.jinja_env.get_template("_layout.html").make_module()
        parts = cache[key] = {name: getattr(module, name) for name in module.__dict__ if not name.startswith("_")}
    return parts


def navigation() -> Markup:
    """The menu for the logged-in user on this page (templates/_navigation.html)."""
    user = current_user._get_current_object()
    visible = tuple(permission is None or can(user, permission) for _, _, permission, _ in MENU)
    endpoint = request.endpoint or ""
    key = (str(get_locale()), request.script_root, visible, endpoint)
    cache = current_app.extensions.setdefault(EXTENSION_KEY, {})
    html = cache.get(key)
    if html is None:
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        template = current_app.jinja_env.get_template("_navigation.html")
        items = current_items(endpoint, visible)
        here = next((label for _, label, is_current in items if is_current), None)
        html = cache[key] = Markup(template.render(items=items, here=here))
    return html
