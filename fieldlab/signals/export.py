"""One signal as a document with the Loket's headings: Word (python-docx) and PDF (WeasyPrint).

Both are built from the same sections (`sections`), and the PDF from the same HTML template a
browser could print (`signals/document.html`), so the two never say different things.
"""

import io
import re
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from flask import Response, render_template
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from weasyprint import CSS, HTML

from fieldlab.formats import document_language
from fieldlab.signals.criteria import check_criteria
from fieldlab.signals.models import Signal
from fieldlab.timeutil import utcnow

PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "signal-print.css"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sections(signal: Signal) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(subheading or "", text)]) in the order of the Loket's format."""
    explanations = {"misuse": signal.misuse_explanation, "structural": signal.structural_explanation,
                    "national": signal.national_explanation}
    criteria = [(str(check.title), explanations[check.key]) for check in check_criteria(signal)]
    submitted_on = next((event.at for event in signal.events if event.to_status == "submitted"), None)
    return [
        (str(_l("Het structurele knelpunt")), [("", signal.bottleneck)]),
        (str(_l("Indieners")), [("", "\n".join(organisation.name for organisation in signal.submitters))]),
        (str(_l("Ingediend namens")), [("", signal.representative_name + (
            f" ({format_date(submitted_on.date(), 'long')})" if submitted_on else ""))]),
        (str(_l("Gericht aan")), [("", "\n".join(signal.ministries or []))]),
        (str(_l("Feiten uit het werk")), [("", signal.facts)]),
        (str(_l("Het misbruikte juridische proces")),
         [(signal.legal_process_kind_label, signal.legal_process)]),
        (str(_l("Toetsing aan de criteria")), criteria),
        (str(_l("Voorgestelde maatregelen")), [("", signal.measures)]),
    ]


def filename(signal: Signal, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", signal.bottleneck.lower()).strip("-")[:50] or "signaal"
    return f"bestuurlijk-signaal-{signal.id}-{slug}.{extension}"


def docx_bytes(signal: Signal) -> bytes:
    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(str(_l("Bestuurlijk signaal")), level=0)
    document.add_paragraph(str(_l("Aan het Landelijk Loket Bestuurlijke Signalen")))
    for heading, parts in sections(signal):
        document.add_heading(heading, level=1)
        for subheading, text in parts:
            if subheading:
                document.add_heading(subheading, level=2)
            for paragraph in (text or "—").split("\n\n"):
                document.add_paragraph(paragraph)
    _describe(document, signal)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _describe(document, signal: Signal) -> None:
    """The file's own properties, which Word shows under Info and a screen reader and the spelling
    check go by: python-docx's template says "python-docx", 2013 and American English, so Word
    would check Dutch text as English and read it aloud with an English voice."""
    language = document_language()
    properties = document.core_properties
    properties.title = f"{_l('Bestuurlijk signaal')}: {signal.bottleneck}"[:255]
    properties.subject = str(_l("Aan het Landelijk Loket Bestuurlijke Signalen"))
    properties.author = properties.last_modified_by = "Fieldlab"
    properties.comments = properties.keywords = properties.category = ""
    properties.language = language
    properties.created = properties.modified = utcnow().replace(microsecond=0, tzinfo=None)
    properties.revision = 1
    # The language every run inherits (docDefaults), which is what spelling and speech go by.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    tag = run_defaults.find(qn("w:lang"))
    if tag is None:
        tag = run_defaults.makeelement(qn("w:lang"), {})
        run_defaults.append(tag)
    tag.set(qn("w:val"), language)


def document_html(signal: Signal) -> str:
    return render_template("signals/document.html", signal=signal, sections=sections(signal))


def pdf_bytes(signal: Signal, *, base_url: str) -> bytes:
    return HTML(string=document_html(signal), base_url=base_url).write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))])


def _download(content: bytes, mimetype: str, name: str) -> Response:
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def docx_response(signal: Signal) -> Response:
    return _download(docx_bytes(signal), DOCX_TYPE, filename(signal, "docx"))


def pdf_response(signal: Signal, *, base_url: str) -> Response:
    return _download(pdf_bytes(signal, base_url=base_url), "application/pdf", filename(signal, "pdf"))
