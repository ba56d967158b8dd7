"""Translation catalogues. The source strings (msgids) are Dutch, the default language; the
English catalogue translates every one of them. `fieldlab translations` keeps it current and a
test fails on any string that has no English translation or a stale compiled catalogue.

Workflow: write Dutch in `_()`/`_l()`, run `fieldlab translations update`, fill in the empty
`msgstr` lines of fieldlab/translations/en/LC_MESSAGES/messages.po, run
`fieldlab translations compile`.
"""

from io import BytesIO
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).resolve().parent
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
LOCALES = ("en",)
METHOD_MAP = [
    ("translations/**", "ignore"),
    ("static/**", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
OPTIONS_MAP = {
    "templates/**.html": {"extensions": "jinja2.ext.do"},
    "templates/**.txt": {"extensions": "jinja2.ext.do"},
}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extract_template() -> Catalog:
    """Every translatable string in the package, as a fresh template catalogue."""
    catalog = Catalog(project="fieldlab", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), method_map=METHOD_MAP, options_map=OPTIONS_MAP, keywords=KEYWORDS,
        comment_tags=("NOTE:",), strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, charset="utf-8")
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def untranslated(locale: str, template: Catalog | None = None) -> list[str]:
    """msgids of the template with no (or a fuzzy) translation in `locale`."""
    template = template or extract_template()
    catalog = read_catalog(locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        strings = translated.string if translated else None
        empty = not strings or (isinstance(strings, tuple) and not all(strings))
        if translated is None or empty or translated.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def compiled_is_current(locale: str) -> bool:
    """The .mo holds exactly the translations of the .po (so nobody forgot to compile)."""
    mo = po_path(locale).with_suffix(".mo")
    if not mo.exists():
        return False
    def key(message):
        return _hashable(message.id), message.context

    with mo.open("rb") as file:
        compiled = {key(m): _hashable(m.string) for m in read_mo(file) if m.id}
    source = {key(m): _hashable(m.string) for m in read_catalog(locale) if m.id and m.string and not m.fuzzy}
    return compiled == source


def _hashable(value):
    """Plural messages come back as lists from a .mo and as tuples from a .po."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def update_catalogs() -> None:
    template = extract_template()
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True)
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = BytesIO()
        write_po(buffer, catalog, width=100, sort_output=False, ignore_obsolete=True, include_previous=False)
        path.write_bytes(buffer.getvalue())


def compile_catalogs() -> None:
    for locale in LOCALES:
        catalog = read_catalog(locale)
        with po_path(locale).with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog, use_fuzzy=False)


@click.group("translations")
def translations_command():
    """Keep the English catalogue complete (the Dutch source strings are the default)."""


@translations_command.command("update")
def update_command():
    """Extract the strings and add new ones to every catalogue."""
    update_catalogs()
    for locale in LOCALES:
        missing = untranslated(locale)
        click.echo(f"{locale}: {len(missing)} untranslated")


@translations_command.command("compile")
def compile_command():
    """Compile the .po files to the .mo files Flask-Babel reads."""
    compile_catalogs()
    click.echo("compiled")


@translations_command.command("missing")
def missing_command():
    """List the strings that still need an English translation."""
    for locale in LOCALES:
        for message_id in untranslated(locale):
            click.echo(f"{locale}: {message_id}")
