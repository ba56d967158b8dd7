"""Exports: the answers of one form row by row, as CSV for Dutch Excel or as an xlsx workbook.

It stands alone because it is the one way out of the app for single answers rather than figures:
an anonymous form's rows carry no name, time or id, and every export is audited. When an export
may be made at all (the results shown, the comments no longer held) the route decides with
`aggregation.form_results`.
"""

import csv
import io
import re
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fieldlab.audit import services as audit
from fieldlab.auth.models import User
from fieldlab.evaluations.models import EvaluationAnswer, EvaluationForm, EvaluationResponse, QuestionKind
from fieldlab.evaluations.sending import subject_name
from fieldlab.extensions import db
from fieldlab.timeutil import LOCAL_ZONE


def export_table(form: EvaluationForm) -> tuple[list[str], list[list]]:
    """Header and rows: one row per response. Anonymous forms carry no name, no time and no id."""
    questions = [q for q in sorted(form.questions, key=lambda q: (q.position, q.version))]
    answered_ids = set(db.session.scalars(
        select(EvaluationAnswer.question_id).join(EvaluationResponse)
        .where(EvaluationResponse.form_id == form.id)))
    questions = [q for q in questions if not q.retired or q.id in answered_ids]
    header = [] if form.anonymous else [_("Naam"), _("Ingevuld op")]
    header.append(_("Formulierversie"))
    for question in questions:
        label = question.text if question.version == 1 else _("%(text)s (versie %(version)s)",
                                                              text=question.text, version=question.version)
        header.append(label)
    rows = []
    responses = db.session.scalars(
        select(EvaluationResponse).options(selectinload(EvaluationResponse.answers),
                                           selectinload(EvaluationResponse.user))
        .where(EvaluationResponse.form_id == form.id).order_by(EvaluationResponse.id)).all()
    for response in responses:
        answers = {answer.question_id: answer for answer in response.answers}
        row: list = []
        if not form.anonymous:
            row.append(response.user.name if response.user else "")
            row.append(response.submitted_at.astimezone(LOCAL_ZONE).replace(tzinfo=None)
                       if response.submitted_at else None)
        row.append(response.form_version)
        for question in questions:
            answer = answers.get(question.id)
            if answer is None:
                row.append(None)
            elif question.kind == QuestionKind.GRADE:
                row.append(answer.grade if question.allow_decimal or answer.grade is None else int(answer.grade))
            elif question.kind == QuestionKind.CHOICE:
                row.append(answer.choice)
            else:
                row.append(answer.text)
        rows.append(row)
    return header, rows


def export_csv(form: EvaluationForm, *, by: User, now: datetime | None = None) -> str:
    """Semicolon-separated with decimal commas and a byte-order mark: opens as-is in Dutch Excel."""
    header, rows = export_table(form)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    audit.record("evaluation_exported", actor=by, obj=form, now=now, format="csv", rows=len(rows))
    db.session.flush()
    return buffer.getvalue()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def export_xlsx(form: EvaluationForm, *, by: User, now: datetime | None = None) -> bytes:
    header, rows = export_table(form)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Antwoorden")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record("evaluation_exported", actor=by, obj=form, now=now, format="xlsx", rows=len(rows))
    db.session.flush()
    return buffer.getvalue()


def export_filename(form: EvaluationForm, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (str(subject_name(form)) or "evaluatie").lower()).strip("-")[:50]
    return f"evaluatie-{form.id}-{slug}.{extension}"
