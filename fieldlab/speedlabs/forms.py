from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, ValidationError

from fieldlab.forms import REQUIRED, CheckboxListField, SubmissionTokenMixin
from fieldlab.timeutil import LOCAL_ZONE, as_utc


class WhenWhereRules:
    """The rules for date, times and place, shared by the create and the change form."""

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError(_l("De eindtijd moet na de begintijd liggen."))

    def validate(self, extra_validators=None):
        """Place or link: checked after the fields, as both are Optional() (which ends a field's
        validation when it is empty, inline `validate_place` included)."""
        valid = super().validate(extra_validators)
        if not (self.place.data or "").strip() and not (self.online_url.data or "").strip():
            self.place.errors.append(_l("Vul een plaats of een link voor online deelname in."))
            return False
        return valid

    def moment(self, time) -> datetime:
        return as_utc(datetime.combine(self.day.data, time, tzinfo=LOCAL_ZONE))


class SpeedlabCreateForm(WhenWhereRules, FlaskForm):
    problem_id = SelectField(_l("Vraagstuk"), coerce=int, default=0,
                             description=_l("Kies een vraagstuk, of laat leeg voor een losse vraag van een probleemeigenaar."))
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    question = TextAreaField(_l("Vraag"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                             description=_l("De vraag waarop de deelnemers ideeën bedenken."))
    context = TextAreaField(_l("Context"), validators=[Optional(), Length(max=5000)],
                            description=_l("Wat de deelnemers vooraf moeten weten. Staat niet in e-mails."))
    owner_name = StringField(_l("Naam probleemeigenaar"), validators=[Optional(), Length(max=120)],
                             description=_l("Alleen bij een losse vraag."))
    owner_email = EmailField(_l("E-mailadres probleemeigenaar"),
                             validators=[Optional(), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)])
    lab_id = SelectField(_l("Field Lab (speedlab)"), coerce=int, default=0)
    day = DateField(_l("Datum"), validators=[DataRequired(REQUIRED)])
    starts = TimeField(_l("Begintijd"), validators=[DataRequired(REQUIRED)])
    ends = TimeField(_l("Eindtijd"), validators=[DataRequired(REQUIRED)], description=_l("Meestal 2 à 3 uur na de begintijd."))
    # One of the two is needed (WhenWhereRules.validate); the template shows them as one question,
    # "Plaats of online link", with the rule, so neither is marked optional on its own.
    place = StringField(_l("Plaats"), validators=[Optional(), Length(max=200)],
                        description=_l("Bijvoorbeeld: Gemeentehuis Tilburg, zaal 2."))
    online_url = StringField(_l("Link voor online deelname"), description=_l("Bijvoorbeeld een Teams- of Zoom-link."),
                             validators=[Optional(), URL(message=_l("Vul een volledige link in, met https://.")),
                                         Length(max=500)])
    seats = IntegerField(_l("Aantal plaatsen"), default=8,
                         validators=[DataRequired(REQUIRED), NumberRange(1, 100, _l("Kies 1 tot 100 plaatsen."))])
    dots = IntegerField(_l("Stippen per deelnemer"), default=3,
                        validators=[DataRequired(REQUIRED), NumberRange(1, 20, _l("Kies 1 tot 20 stippen."))])

    def validate_owner_name(self, field):
        if not self.problem_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Vul de probleemeigenaar in, of kies een vraagstuk."))


class SpeedlabChangeForm(WhenWhereRules, FlaskForm):
    """The create form's question, date, times and place, with its labels and rules. A new date
    or time must lie ahead; an unchanged one may have passed (a late fix of the title)."""

    title = SpeedlabCreateForm.title
    question = SpeedlabCreateForm.question
    context = SpeedlabCreateForm.context
    day = SpeedlabCreateForm.day
    starts = SpeedlabCreateForm.starts
    ends = SpeedlabCreateForm.ends
    place = SpeedlabCreateForm.place
    online_url = SpeedlabCreateForm.online_url

    def __init__(self, *args, current_starts_at: datetime, current_ends_at: datetime, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._current = (current_starts_at, current_ends_at)
        self._now = now

    def validate_day(self, field):
        if not (field.data and self.starts.data and self.ends.data) or self.ends.data <= self.starts.data:
            return
        moments = (self.moment(self.starts.data), self.moment(self.ends.data))
        if moments != self._current and moments[0] <= self._now:
            raise ValidationError(_l("Kies een datum en begintijd die nog moeten komen."))


class SpeedlabCancelForm(FlaskForm):
    reason = TextAreaField(_l("Reden van de annulering"),
                           validators=[DataRequired(_l("Vul de reden van de annulering in.")), Length(max=500)],
                           description=_l("Staat in het bericht aan de genodigden. Noem geen vertrouwelijke inhoud."))


class AlumniInviteForm(FlaskForm):
    user_ids = CheckboxListField(_l("Uit te nodigen alumni"), coerce=int,
                                 validators=[DataRequired(_l("Kies ten minste één alumnus."))])


class GuestInviteForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(REQUIRED), Email(_l("Vul een geldig e-mailadres in.")),
                                                      Length(max=254)])


class RoundStartForm(FlaskForm):
    minutes = IntegerField(_l("Duur in minuten"), default=15,
                           validators=[Optional(), NumberRange(1, 180, _l("Kies 1 tot 180 minuten."))])


class IdeaForm(SubmissionTokenMixin, FlaskForm):
    title = StringField(_l("Idee"), validators=[DataRequired(REQUIRED), Length(max=140)],
                        description=_l("Kort: een paar woorden."))
    explanation = StringField(_l("Toelichting"), validators=[Optional(), Length(max=400)],
                              description=_l("Eén regel uitleg."))


class ClusterForm(FlaskForm):
    heading = StringField(_l("Kop"), validators=[DataRequired(REQUIRED), Length(max=120)])


class IdeaMoveForm(FlaskForm):
    cluster_id = SelectField(_l("Cluster"), coerce=int, default=0)
    position = HiddenField()


class NotesForm(FlaskForm):
    notes = TextAreaField(_l("Notities van de facilitator"), validators=[Optional(), Length(max=10000)])


class RsvpForm(FlaskForm):
    answer = HiddenField(validators=[DataRequired()])
