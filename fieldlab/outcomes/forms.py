"""Forms of the day-100 result, the opdrachtgever's view, the sustainability answer and the
library's filters. A draft may be saved half-filled: completeness is judged when the leader
submits (services.missing_answers), not on every save, so nobody loses text to a required field."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from fieldlab.forms import REQUIRED, FiniteNumber, OptionalMarker, to_submit
from fieldlab.outcomes.models import GoalReached, StillInUse

LARGEST_VALUE = 9_999_999_999.99  # Numeric(12, 2)
YES_NO = [("yes", _l("Ja")), ("no", _l("Nee"))]


def _enum_choices(enum):
    return [(member.value, member.lazy_label) for member in enum]


class ResultForm(FlaskForm):
    goal_reached = RadioField(_l("Is het doel bereikt?"), choices=_enum_choices(GoalReached),
                              validators=[to_submit(), Optional()])
    goal_explanation = TextAreaField(_l("Toelichting"), validators=[to_submit(), Optional(), Length(max=5000)],
                                     description=_l("Wat is er wel en niet gelukt, en waarom?"))
    changes = TextAreaField(_l("Wat heeft de interventie veranderd, en voor wie?"),
                            validators=[to_submit(), Optional(), Length(max=5000)])
    lessons = TextAreaField(_l("Lessen"), validators=[to_submit(), Optional(), Length(max=5000)],
                            description=_l("Wat zou u een volgend team aanraden, of juist afraden?"))
    continuation = TextAreaField(_l("Wat gebeurt er na dag 100?"), validators=[to_submit(), Optional(), Length(max=5000)],
                                 description=_l("Hoe de aanpak geborgd wordt: wie gaat ermee door, met welke middelen."))
    owner_name = StringField(_l("Naam van de eigenaar na dag 100"), validators=[to_submit(), Optional(), Length(max=120)],
                             description=_l("Deze persoon krijgt over zes maanden een korte vraag of de aanpak "
                                            "nog werkt."))
    owner_organisation = StringField(_l("Organisatie van de eigenaar"), validators=[to_submit(), Optional(), Length(max=200)])
    owner_email = StringField(_l("E-mailadres van de eigenaar"),
                              validators=[to_submit(), Optional(), Length(max=254), Email(_l("Vul een geldig e-mailadres in."))])
    reveals_weakness = RadioField(
        _l("Laat het werk een structurele zwakte zien in wettelijke processen (wetten, subsidies, vergunningen) "
           "die criminelen misbruiken?"), choices=YES_NO, validators=[to_submit(), Optional()],
        description=_l("Bij ja kunt u daarna een bestuurlijk signaal opstellen voor het Landelijk Loket "
                       "Bestuurlijke Signalen."))
    weakness_summary = TextAreaField(_l("De zwakte in één zin"),
                                     validators=[OptionalMarker(_l("(nodig bij ja)")), Optional(), Length(max=1000)])
    version = HiddenField()


def result_form(indicators, **kwargs) -> ResultForm:
    """The result form with one final-value field per indicator of the board."""

    class TeamResultForm(ResultForm):
        pass

    for row in indicators:
        unit = f" ({row.indicator.unit})" if row.indicator.unit else ""
        setattr(TeamResultForm, f"indicator_{row.indicator_id}", DecimalField(
            _l("Eindwaarde: %(name)s%(unit)s", name=row.indicator.name, unit=unit),
            validators=[to_submit(), Optional(), FiniteNumber(LARGEST_VALUE)], places=None,
            description=_l("Beginwaarde %(baseline)s, doel %(target)s.", baseline=row.indicator.baseline,
                           target=row.indicator.target)))
    return TeamResultForm(**kwargs)


class CommissionerViewForm(FlaskForm):
    grade = IntegerField(_l("Hoe tevreden bent u met het resultaat? (1 tot en met 10)"),
                         validators=[InputRequired(REQUIRED), NumberRange(1, 10, _l("Geef een cijfer van 1 tot en met 10."))])
    follow_up = TextAreaField(_l("Welk vervolg zegt u toe?"), validators=[InputRequired(REQUIRED), Length(max=5000)],
                              description=_l("Bijvoorbeeld: budget, mensen, een besluit in uw organisatie."))


class SustainabilityForm(FlaskForm):
    still_in_use = RadioField(_l("Is de interventie nog in gebruik?"), choices=_enum_choices(StillInUse),
                              validators=[InputRequired(_l("Kies een antwoord."))])
    led_to = TextAreaField(_l("Waartoe heeft de interventie geleid?"),
                           validators=[InputRequired(REQUIRED), Length(max=5000)])
    spread = RadioField(_l("Is de aanpak overgenomen in andere regio's?"), choices=YES_NO,
                        validators=[InputRequired(_l("Kies een antwoord."))])
    spread_regions = TextAreaField(_l("Welke regio's of organisaties?"), validators=[Length(max=2000)])

    def validate_spread_regions(self, field):
        if self.spread.data == "yes" and not (field.data or "").strip():
            raise ValidationError(_l("Noem de regio's of organisaties die de aanpak overnamen."))


class LibraryFilterForm(FlaskForm):
    """GET filters: no CSRF (nothing changes), so links with filters can be shared and bookmarked."""

    class Meta:
        csrf = False

    q = StringField(_l("Zoeken"), validators=[Optional(), Length(max=200)])
    theme = SelectField(_l("Thema"), validators=[Optional()])
    organisation = SelectField(_l("Organisatie"), validators=[Optional()])
    goal = SelectField(_l("Doel bereikt"), validators=[Optional()],
                       choices=[("", _l("Alle")), *_enum_choices(GoalReached)])
    year = SelectField(_l("Jaar"), validators=[Optional()])
