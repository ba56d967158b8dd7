from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from fieldlab.auth.forms import EMAIL_INVALID
from fieldlab.forms import REQUIRED, CheckboxListField
from fieldlab.labs.models import LabKind
from fieldlab.labs.participants import level_choices
from fieldlab.labs.services import LabData, ProgrammeDayData, facilitator_choices
from fieldlab.organisations.forms import OrganisationPicker

EXTRA_DAY_ROWS = 1


class ProgrammeDayForm(Form):
    """One row of the programme: an empty row is ignored, a place without a date is an error."""

    held_on = DateField(_l("Datum"), validators=[Optional()])
    place = StringField(_l("Plaats"), validators=[Length(max=200)])
    note = StringField(_l("Toelichting"), validators=[Length(max=200)],
                       description=_l("Bijvoorbeeld: start 9.30 uur, met overnachting."))

    def validate_place(self, field):
        if (field.data or "").strip() and not self.held_on.data and not self.held_on.errors:
            self.held_on.errors = [*self.held_on.errors, _l("Vul de datum van deze dag in.")]
            raise ValidationError(_l("Bij een plaats hoort een datum."))


class LabForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[InputRequired(REQUIRED), Length(max=120)],
                       description=_l("Bijvoorbeeld: Field Lab Mensenhandel 2027."))
    kind = RadioField(_l("Soort Lab"), choices=[(kind.value, kind.lazy_label) for kind in LabKind],
                      default=LabKind.TEAMS.value, validators=[InputRequired(_l("Kies het soort Lab."))])
    theme = StringField(_l("Thema"), validators=[Length(max=120)],
                        description=_l("Een overkoepelend thema, zoals mensenhandel of Preventie met Gezag."))
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=4000)])
    days = FieldList(FormField(ProgrammeDayForm), label=_l("Programmadagen"), min_entries=1)
    facilitator_ids = CheckboxListField(_l("Facilitatoren"), coerce=int)
    boards_open_to_participants = BooleanField(
        _l("Alle deelnemers van het Lab mogen de borden van alle teams lezen"),
        description=_l("Staat dit uit, dan ziet een deelnemer alleen het bord van het eigen team."),
    )
    problem_id = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.facilitator_ids.choices = facilitator_choices()

    days_error = ""

    def validate_days(self, field):
        """The list's own error (FieldList mixes it with its rows' errors), kept apart for the template."""
        dates = [entry.form.held_on.data for entry in field.entries if entry.form.held_on.data]
        if len(dates) != len(set(dates)):
            self.days_error = str(_l("Elke programmadag heeft een eigen datum; een datum staat er nu dubbel in."))
            raise ValidationError(self.days_error)

    def add_empty_days(self, count: int = EXTRA_DAY_ROWS) -> None:
        for _ in range(count):
            self.days.append_entry()

    def to_data(self) -> LabData:
        return LabData(
            name=self.name.data or "", kind=self.kind.data, theme=self.theme.data or "",
            description=self.description.data or "",
            days=[ProgrammeDayData(held_on=entry.form.held_on.data, place=entry.form.place.data or "",
                                   note=entry.form.note.data or "")
                  for entry in self.days.entries if entry.form.held_on.data],
            facilitator_ids=list(self.facilitator_ids.data or []),
            boards_open_to_participants=bool(self.boards_open_to_participants.data),
        )


class ParticipantAddForm(OrganisationPicker, FlaskForm):
    """One participant; the organisation picker offers kinds to facilitators ("Welke gemeente?")."""

    name = StringField(_l("Naam"), validators=[InputRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("E-mailadres"), validators=[InputRequired(REQUIRED), Email(EMAIL_INVALID),
                                                       Length(max=254)])
    level = SelectField(_l("Niveau"))
    expertise = StringField(_l("Expertise"), validators=[Length(max=500)],
                            description=_l("Scheid met komma's, bijvoorbeeld: handhaving, vastgoed."))

    def __init__(self, *args, may_add_organisation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_organisation_picker(may_add=may_add_organisation)
        self.level.choices = [("", _l("— nog niet bekend —"))] + level_choices()


class PastedKindForm(FlaskForm):
    """"Welke gemeente?" for one pasted line that named a kind: the answer is added as an
    organisation and put into that line, and the list is checked again (nothing else is saved)."""

    lines = HiddenField()
    line = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    kind_id = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    name = StringField(_l("Naam"), validators=[Length(max=200)])


class ParticipantPasteForm(FlaskForm):
    lines = TextAreaField(
        _l("Deelnemers (één per regel)"), validators=[InputRequired(REQUIRED), Length(max=100_000)],
        description=_l("Per regel: naam; e-mail; organisatie; niveau; expertise. Gescheiden door puntkomma's of "
                       "tabs (plakken uit Excel kan). Niveau is uitvoering, beleid, management of expert; "
                       "expertise scheidt u met komma's."),
    )


class ManagerForm(FlaskForm):
    participation_id = SelectField(_l("Deelnemer"), coerce=int)
    manager_id = SelectField(_l("Bestaand account"), coerce=int,
                             description=_l("Kies iemand die al een account heeft, of nodig hieronder iemand uit."))
    # Own ids: the participants page also shows ParticipantAddForm, whose fields are name and email too.
    name = StringField(_l("Naam van de leidinggevende"), validators=[Length(max=120)], id="labs-manager-name")
    email = EmailField(_l("E-mailadres van de leidinggevende"), validators=[Optional(), Email(EMAIL_INVALID),
                                                                           Length(max=254)], id="labs-manager-email")

    def __init__(self, *args, participations=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.participation_id.choices = [(p.id, p.user.name) for p in participations]
        self.manager_id.choices = [(0, _l("— niemand (of nodig hieronder uit) —"))] + [
            (person.id, f"{person.name} ({person.email})") for person in candidates
        ]

    def validate_name(self, field):
        if (self.email.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Vul de naam in van wie u uitnodigt."))

    def validate_manager_id(self, field):
        if field.data and (self.email.data or "").strip():
            raise ValidationError(_l("Kies een bestaand account óf nodig iemand uit, niet allebei."))


class ProfileForm(FlaskForm):
    organisation_id = SelectField(_l("Organisatie"), coerce=int)
    level = RadioField(_l("Niveau"), validators=[InputRequired(_l("Kies uw niveau."))],
                       description=_l("Teams mengen mensen uit uitvoering en beleid, met managementervaring en "
                                      "experts."))
    expertise = StringField(_l("Expertise"), validators=[Length(max=500)],
                            description=_l("Waar bent u goed in? Scheid met komma's, bijvoorbeeld: "
                                           "openbare orde, vergunningen."))

    def __init__(self, *args, organisation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(0, _l("— geen organisatie —"))] + list(organisation_choices)
        self.level.choices = level_choices()
