"""PDF from the report's own HTML, with WeasyPrint.

The route renders the same template as the page, in the PDF layout (`reports/_pdf_layout.html`:
no menu, `lang` on `<html>`), and this module turns that HTML into a tagged PDF/UA-1 document:
a structure tree, the document language, headings as bookmarks, the table of contents with page
numbers (`target-counter`) and page numbers in the margin (`@page` counters), charts as the inline
SVG they are on the page, so they stay vector.

Nothing is fetched while rendering: the stylesheets are read from the package and every URL in
the HTML is refused, so text typed by a user can never make the server load anything.
"""

from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STATIC = Path(__file__).resolve().parent.parent / "static" / "css"
STYLESHEETS = ("reports.css", "reports-pdf.css")


class FetchRefused(ValueError):
    """Raised for every URL the HTML names: reports embed everything they need."""


class _RefuseEveryURL(URLFetcher):
    """WeasyPrint catches the error, warns and leaves the resource out."""

    def fetch(self, url, headers=None):
        raise FetchRefused(url)


def render_pdf(html: str, *, base_url: str) -> bytes:
    fonts = FontConfiguration()
    stylesheets = [CSS(filename=str(STATIC / name), font_config=fonts) for name in STYLESHEETS]
    document = HTML(string=html, base_url=base_url, url_fetcher=_RefuseEveryURL())
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_variant="pdf/ua-1")
