from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from fieldlab.boards.models import CHALLENGE_DAYS, QUICK_WIN_DAYS, Column, Status
from fieldlab.forms import REQUIRED, FiniteNumber, SubmissionTokenMixin

NOT_A_NUMBER = _l("Vul een heel getal in.")
LARGEST_VALUE = 9_999_999_999.99  # indicator values are Numeric(12, 2)


# Translated when shown, not when a move is checked: dragging posts a move every time a card is
# dropped, and gettext for the four labels was a twentieth of that request.
COLUMN_CHOICES = [(column.value, column.lazy_label) for column in Column]


class CardForm(SubmissionTokenMixin, FlaskForm):
    """Add or edit a card. `version` is the card's version when the form was opened."""

    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Beschrijving"), validators=[Optional(), Length(max=5000)])
    owner = SelectField(_l("Eigenaar"), coerce=int, validate_choice=True,
                        description=_l("Elke actie heeft precies één eigenaar uit het team."))
    due_day = IntegerField(_l("Klaar op dag"), validators=[Optional(), NumberRange(1, CHALLENGE_DAYS,
                           _l("Kies een dag tussen 1 en 100."))],
                           description=_l("Een dag van de challenge, van 1 tot en met 100."))
    labels = StringField(_l("Labels"), validators=[Optional(), Length(max=300)],
                         description=_l("Gescheiden door komma's, bijvoorbeeld: communicatie, gemeente"))
    quick_win = BooleanField(_l("Quick win (klaar in de eerste 15 dagen)"))
    # Shown only next to the warning that the chosen day has passed (`warn_past_due`).
    confirm_past_due = BooleanField(_l("Toch opslaan met een dag die al voorbij is"))
    version = HiddenField()

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [(membership.user_id, membership.user.name) for membership in members]
        self.past_due_warned = False

    def warn_past_due(self, *, today_day: int | None, previous_due_day: int | None = None) -> bool:
        """A day that has already passed is rarely meant (a typo, or a plan made late): ask once,
        with the rest of the input kept. Not when the person confirmed, nor when an edit leaves
        the day as it was. True when the form must be shown again with the warning."""
        due_day = self.due_day.data
        if (today_day is None or due_day is None or due_day >= today_day or self.confirm_past_due.data
                or due_day == previous_due_day):
            return False
        self.past_due_warned = True
        self.due_day.errors.append(_l(
            "Dag %(due)s is al voorbij: vandaag is dag %(today)s van de challenge. Kies een latere dag, of vink "
            "hieronder ‘Toch opslaan’ aan als het zo bedoeld is.", due=due_day, today=today_day))
        return True

    def validate_quick_win(self, field):
        if field.data and (self.due_day.data is None or self.due_day.data > QUICK_WIN_DAYS):
            raise ValidationError(_l("Een quick win is klaar in de eerste 15 dagen: kies een dag van 1 tot en met 15."))

    def validate_owner(self, field):
        if field.data is None:
            raise ValidationError(REQUIRED)


def _position_from_one(form, field) -> None:
    """1 or higher. A value that is no number at all already has WTForms' own message."""
    if field.data is not None and field.data < 1:
        raise ValidationError(_l("Kies 1 of hoger, of laat het leeg voor onderaan."))


class CardMoveForm(FlaskForm):
    column = SelectField(_l("Verplaats naar"), choices=COLUMN_CHOICES)
    position = IntegerField(_l("Positie"), validators=[Optional(), _position_from_one],
                            description=_l("1 is bovenaan; leeg is onderaan."))


class ChallengeForm(FlaskForm):
    goal = TextAreaField(
        _l("Doel van de challenge"), validators=[Optional(), Length(max=1000)],
        description=_l("Eén zin, concreet en meetbaar: wat is er op dag 100 anders, voor wie, en hoeveel? "
                       "Bijvoorbeeld: ‘Op dag 100 zijn 40 panden gecontroleerd en is bij 10 ervan ingegrepen.’"))
    intervention_plan = TextAreaField(_l("Interventieplan"), validators=[Optional(), Length(max=20000)],
                                      description=_l("Wat het team doet, met wie, en in welke volgorde."))
    team_agreement = TextAreaField(_l("Teamafspraken"), validators=[Optional(), Length(max=10000)],
                                   description=_l("Hoe het team samenwerkt: overleg, bereikbaarheid, besluiten."))
    hours_committed = IntegerField(_l("Toegezegde uren"), validators=[Optional(), NumberRange(min=0)],
                                   description=_l("Het totaal aan uren dat de organisaties voor de 100 dagen vrijmaken."))


class StartDateForm(FlaskForm):
    starts_on = DateField(_l("Startdatum (dag 1)"), validators=[InputRequired(REQUIRED)],
                          description=_l("Dag n van de challenge is de startdatum plus n − 1 dagen."))
    # Shown only next to the warning that the challenge would be over already (`warn_over`).
    confirm_over = BooleanField(_l("Toch opslaan: de challenge is al voorbij"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.over_warned = False

    def warn_over(self, *, today: date, previous: date | None) -> bool:
        """A start so long ago that day 100 has passed shows the challenge as finished at once, and
        is rarely meant (a wrong year): ask once, with the date kept. Not when the person
        confirmed, nor when the date stays as it was. True when the form must be shown again."""
        starts_on = self.starts_on.data
        if starts_on is None or self.confirm_over.data or starts_on == previous:
            return False
        day_100 = starts_on + timedelta(days=CHALLENGE_DAYS - 1)
        if day_100 >= today:
            return False
        self.over_warned = True
        self.starts_on.errors.append(_l(
            "Met deze startdatum is de challenge al voorbij: dag 100 was %(day)s. Kies een latere datum, of vink "
            "hieronder ‘Toch opslaan’ aan als het zo bedoeld is.", day=format_date(day_100, "long")))
        return True


class LeaderForm(FlaskForm):
    leader = SelectField(_l("Teamleider"), coerce=int,
                         description=_l("Het team kiest zelf zijn teamleider."))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.leader.choices = [(membership.user_id, membership.user.name) for membership in members]


class IndicatorForm(FlaskForm):
    name = StringField(_l("Naam van de indicator"), validators=[DataRequired(REQUIRED), Length(max=200)],
                       description=_l("Wat u meet, bijvoorbeeld: aantal gecontroleerde panden."))
    unit = StringField(_l("Eenheid"), validators=[Optional(), Length(max=40)])
    baseline = DecimalField(_l("Nulmeting"), places=2, validators=[InputRequired(REQUIRED), FiniteNumber(LARGEST_VALUE)],
                            description=_l("De waarde bij de start."))
    target = DecimalField(_l("Streefwaarde"), places=2, validators=[InputRequired(REQUIRED), FiniteNumber(LARGEST_VALUE)],
                          description=_l("De waarde op dag 100."))


class IndicatorValueForm(FlaskForm):
    measured_on = DateField(_l("Gemeten op"), validators=[InputRequired(REQUIRED)])
    value = DecimalField(_l("Waarde"), places=2, validators=[InputRequired(REQUIRED), FiniteNumber(LARGEST_VALUE)])


class ProgressUpdateForm(SubmissionTokenMixin, FlaskForm):
    status = RadioField(_l("Status"), choices=lambda: [(status.value, status.label) for status in Status],
                        validators=[InputRequired(_l("Kies een status."))])
    went_well = TextAreaField(_l("Wat ging goed"), validators=[Optional(), Length(max=5000)])
    stuck = TextAreaField(_l("Wat zit vast"), validators=[Optional(), Length(max=5000)])
    help_needed = TextAreaField(_l("Hulp nodig van leidinggevenden"), validators=[Optional(), Length(max=5000)])
    hours_spent = IntegerField(_l("Bestede uren deze week"), validators=[Optional(), NumberRange(min=0)],
                               description=_l("Alle teamleden samen; laat leeg als u het niet bijhoudt."))
