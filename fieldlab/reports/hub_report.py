"""The Hub's annual report: the figures the Field Lab Hub publishes for one year.

Every figure is a `Table` (title, header, rows) that the page shows beside its chart and the CSV
and XLSX exports write as they are, so the three never disagree. Counts are done in SQL: the
report stays one handful of queries however many Labs there are (bench/reports.py measures 100).
The average grades come from `evaluations.aggregation.annual_figures`, which applies the anonymity
threshold; this module does not average grades itself.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import distinct, extract, func, select

from fieldlab.auth.models import User
from fieldlab.boards.models import CHALLENGE_DAYS, Challenge
from fieldlab.evaluations.aggregation import annual_figures
from fieldlab.evaluations.charts import BarChart, bar_chart
from fieldlab.evaluations.models import GRADE_MAX
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind, Participation
from fieldlab.organisations.models import Organisation, Sector
from fieldlab.outcomes.models import GoalReached, ResultStatus, StillInUse, SustainabilityAnswer, TeamResult
from fieldlab.reports.charts import HorizontalBarChart, horizontal_bar_chart
from fieldlab.signals.services import counts as signal_counts
from fieldlab.teams.models import Team


@dataclass
class Table:
    """One figure: its rows are (label, value[, value...]); the first value column is charted."""

    key: str
    title: str
    header: list[str]
    rows: list[list]
    # How the chart reads the rows: "bars" (horizontal, for long labels), "columns" (years), or "none".
    chart: str = "bars"
    decimals: int = 0
    note: str = ""
    sheet: str = ""  # the spreadsheet tab's name where the title is longer than Excel's 31 characters

    @property
    def chart_items(self) -> list[tuple[str, float | None]]:
        return [(str(row[0]), row[1]) for row in self.rows]

    def column_chart(self) -> BarChart:
        return bar_chart(self.chart_items, decimals=self.decimals,
                         maximum=GRADE_MAX if self.key == "grades" else None)

    def bar_chart(self) -> HorizontalBarChart:
        return horizontal_bar_chart(self.chart_items, decimals=self.decimals)


@dataclass
class Headline:
    programmes: int
    participants: int
    average: float | None
    trend: float | None
    labs: int


@dataclass
class HubReport:
    year: int
    years: list[int]
    today: date
    headline: Headline
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


def report_years() -> list[int]:
    """The years in which a Lab started, newest first."""
    years = db.session.scalars(select(extract("year", Lab.programme_starts_on))
                               .where(Lab.programme_starts_on.is_not(None)).distinct()).all()
    return sorted({int(year) for year in years}, reverse=True)


def default_year(today: date) -> int:
    years = report_years()
    return years[0] if years and years[0] <= today.year else today.year


def _labs_of_year(year: int) -> list[tuple[int, str, str]]:
    return list(db.session.execute(
        select(Lab.id, Lab.kind, Lab.theme)
        .where(Lab.programme_starts_on >= date(year, 1, 1), Lab.programme_starts_on <= date(year, 12, 31))))


def _count_rows(pairs) -> list[list]:
    return [[label, count] for label, count in sorted(pairs, key=lambda item: (-item[1], str(item[0]).lower()))]


def _participants_by_organisation(lab_ids: list[int]) -> tuple[list[list], list[list], int]:
    rows = db.session.execute(
        select(Organisation.name, Organisation.sector, func.count(distinct(Participation.user_id)))
        .select_from(Participation).join(User, User.id == Participation.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Participation.lab_id.in_(lab_ids)).group_by(Organisation.name, Organisation.sector)).all()
    total = db.session.scalar(select(func.count(distinct(Participation.user_id)))
                              .where(Participation.lab_id.in_(lab_ids))) or 0
    by_organisation = _count_rows((name or _("onbekende organisatie"), count) for name, _sector, count in rows)
    sector_people: dict[str, int] = {}
    for _name, sector, count in rows:
        label = _("publiek") if sector == Sector.PUBLIC else _("privaat") if sector == Sector.PRIVATE else _("onbekend")
        sector_people[label] = sector_people.get(label, 0) + count
    return by_organisation, _count_rows(sector_people.items()), total


def _alumni(year: int, today: date) -> list[list]:
    """People who finished a programme: new in the year, and everyone up to the year's end."""
    end = min(date(year, 12, 31), today - timedelta(days=1))

    def distinct_people(*conditions) -> int:
        return db.session.scalar(
            select(func.count(distinct(Participation.user_id))).join(Lab, Lab.id == Participation.lab_id)
            .where(Lab.programme_ends_on.is_not(None), Lab.programme_ends_on <= end, *conditions)) or 0

    return [[_("Nieuwe alumni in %(year)s", year=year), distinct_people(Lab.programme_ends_on >= date(year, 1, 1))],
            [_("Alumni in totaal (eind %(year)s)", year=year), distinct_people()]]


def _challenges(lab_ids: list[int], today: date) -> list[list]:
    starts = db.session.scalars(select(Challenge.starts_on).join(Team, Team.id == Challenge.team_id)
                                .where(Team.lab_id.in_(lab_ids))).all()
    started = [start for start in starts if start is not None and start <= today]
    completed = [start for start in started if start + timedelta(days=CHALLENGE_DAYS - 1) < today]
    teams = db.session.scalar(select(func.count()).select_from(Team).where(Team.lab_id.in_(lab_ids))) or 0
    goals = dict(db.session.execute(
        select(TeamResult.goal_reached, func.count()).join(Team, Team.id == TeamResult.team_id)
        .where(Team.lab_id.in_(lab_ids), TeamResult.status == ResultStatus.SUBMITTED)
        .group_by(TeamResult.goal_reached)).all())
    in_use = dict(db.session.execute(
        select(SustainabilityAnswer.still_in_use, func.count())
        .join(TeamResult, TeamResult.id == SustainabilityAnswer.result_id).join(Team, Team.id == TeamResult.team_id)
        .where(Team.lab_id.in_(lab_ids), SustainabilityAnswer.answered_at.is_not(None))
        .group_by(SustainabilityAnswer.still_in_use)).all())
    return [[_("Teams"), teams], [_("100-dagenchallenges begonnen"), len(started)],
            [_("100-dagenchallenges afgerond (dag 100 voorbij)"), len(completed)],
            [_("Resultaten van dag 100 ingediend"), sum(goals.values())],
            [_("Doel bereikt"), goals.get(GoalReached.YES, 0)],
            [_("Doel deels bereikt"), goals.get(GoalReached.PARTLY, 0)],
            [_("Na zes maanden nog (deels) in gebruik"), in_use.get(StillInUse.YES, 0) + in_use.get(StillInUse.PARTLY, 0)]]


def hub_report(year: int, *, today: date) -> HubReport:
    labs = _labs_of_year(year)
    lab_ids = [lab_id for lab_id, _kind, _theme in labs]
    programme_ids = [lab_id for lab_id, kind, _theme in labs if kind != LabKind.SPEEDLAB]
    kinds: dict[str, int] = {}
    themes: dict[str, int] = {}
    for _lab_id, kind, theme in labs:
        kinds[str(LabKind(kind).label)] = kinds.get(str(LabKind(kind).label), 0) + 1
        label = (theme or "").strip() or _("geen thema")
        themes[label] = themes.get(label, 0) + 1
    by_organisation, by_sector, participants = _participants_by_organisation(programme_ids)

    years = annual_figures()
    this_year = next((figures for figures in years if figures.year == year), None)
    # Up to the report's year: the 2026 report does not show 2027's first evaluations.
    grade_rows = [[str(figures.year), figures.average, figures.trend, figures.responses]
                  for figures in years if figures.year <= year]

    report = HubReport(
        year=year, years=sorted(set(report_years()) | {year}, reverse=True), today=today,
        headline=Headline(programmes=len(programme_ids), participants=participants, labs=len(labs),
                          average=this_year.average if this_year else None,
                          trend=this_year.trend if this_year else None))
    report.tables = [
        Table("labs_by_kind", _("Labs naar soort"), [_("Soort"), _("Labs")], _count_rows(kinds.items())),
        Table("labs_by_theme", _("Labs naar thema"), [_("Thema"), _("Labs")], _count_rows(themes.items())),
        Table("participants_by_organisation", _("Deelnemers naar organisatie"), [_("Organisatie"), _("Deelnemers")],
              by_organisation, note=_("Deelnemers aan Field Labs voor teams en voor individuele deelnemers; "
                                      "wie aan twee Labs meedeed, telt één keer.")),
        Table("participants_by_sector", _("Deelnemers naar sector"), [_("Sector"), _("Deelnemers")], by_sector),
        Table("alumni", _("Alumni"), [_("Omschrijving"), _("Personen")], _alumni(year, today)),
        Table("grades", _("Gemiddeld totaalcijfer per jaar"),
              [_("Jaar"), _("Gemiddeld cijfer"), _("Verschil met vorig jaar"), _("Reacties")], grade_rows,
              chart="columns", decimals=1,
              note=_("Het gemiddelde van het totaalcijfer van de programma-evaluaties; bij minder dan %(count)s "
                     "reacties tonen we het niet.", count=3)),
        Table("challenges", _("100-dagenchallenges en hun resultaat"), [_("Omschrijving"), _("Aantal")],
              _challenges(lab_ids, today), sheet=_("100-dagenchallenges")),
    ]
    signals = signal_counts(year)
    report.tables.append(Table(
        "signals", _("Bestuurlijke signalen"), [_("Omschrijving"), _("Aantal")],
        [[_("Ingediend in %(year)s", year=year), signals["submitted"]],
         [_("Beantwoord in %(year)s", year=year), signals["answered"]]]))
    return report
