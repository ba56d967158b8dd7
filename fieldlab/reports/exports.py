"""The Hub report's tables as CSV (semicolons, decimal commas, a byte-order mark: opens as-is in
Dutch Excel) and as XLSX (one sheet per table). Both write exactly the rows the page shows."""

import csv
import io
import re

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from fieldlab.formats import document_language
from fieldlab.reports.hub_report import HubReport


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return value


def hub_csv(report: HubReport) -> str:
    """One table after another: its title on a line of its own, its header, its rows, a blank line."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for table in report.tables:
        writer.writerow([table.title])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([_csv_value(value) for value in row])
        writer.writerow([])
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Blad"
    name, number = base, 2
    while name in used:
        suffix = f" {number}"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def hub_xlsx(report: HubReport) -> bytes:
    workbook = Workbook()
    workbook.properties.title = _("Field Labs in %(year)s", year=report.year)
    workbook.properties.creator = "Fieldlab"
    workbook.properties.language = document_language()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(table.sheet or table.title, used))
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["A"].width = max(12, min(60, max((len(str(row[0])) for row in table.rows),
                                                                   default=10) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
