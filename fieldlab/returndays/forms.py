from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, ValidationError

from fieldlab.forms import REQUIRED, OptionalMarker
from fieldlab.returndays.models import Response


class ReturnDayCancelForm(FlaskForm):
    reason = TextAreaField(_l("Reden van het afgelasten"),
                           validators=[DataRequired(_l("Vul de reden in: de genodigden lezen die in het bericht.")),
                                       Length(max=500)],
                           description=_l("Staat in het bericht aan de genodigden. Noem geen vertrouwelijke inhoud."))


class ReturnDayForm(FlaskForm):
    day = DateField(_l("Datum"), validators=[DataRequired(REQUIRED)])
    start = TimeField(_l("Begintijd"), validators=[DataRequired(REQUIRED)])
    end = TimeField(_l("Eindtijd"), validators=[DataRequired(REQUIRED)])
    # Not Optional(): it would stop the chain on an empty place before `validate_place`, which asks
    # for a place or a link, could run (a day was confirmed with neither).
    place = StringField(_l("Plaats"), validators=[Length(max=200), OptionalMarker(_l("(of een link)"))],
                        description=_l("Adres en zaal, of leeg laten bij een online bijeenkomst."))
    online_link = StringField(_l("Link voor online deelname"),
                              validators=[Optional(), Length(max=500), OptionalMarker(_l("(of een plaats)")),
                                          URL(message=_l("Vul een volledige link in, beginnend met https://."))])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=5000)])

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("De eindtijd moet na de begintijd liggen."))

    def validate_place(self, field):
        if not (field.data or "").strip() and not (self.online_link.data or "").strip():
            raise ValidationError(_l("Vul een plaats of een link voor online deelname in."))


class StakeholderForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("E-mailadres"), validators=[
        DataRequired(REQUIRED), Email(message=_l("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."))])


class RsvpForm(FlaskForm):
    response = RadioField(_l("Komt u?"), choices=[(r.value, r.lazy_label) for r in Response],
                          validators=[DataRequired(_l("Kies Ja, Nee of Misschien."))])
    remark = TextAreaField(_l("Opmerking"), validators=[Optional(), Length(max=2000)],
                           description=_l("Bijvoorbeeld: ik kom later, of ik neem een collega mee."))


class ActionForm(FlaskForm):
    description = TextAreaField(_l("Afspraak"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    owner_name = StringField(_l("Wie"), validators=[DataRequired(REQUIRED), Length(max=120)],
                             description=_l("Wie ervoor zorgt dat het gebeurt."))
    due_on = DateField(_l("Uiterlijk"), validators=[Optional()])


class LabSettingsForm(FlaskForm):
    invitation_days_before = IntegerField(
        _l("Uitnodiging versturen (dagen vooraf)"), validators=[
            DataRequired(REQUIRED),
            NumberRange(min=6, max=120, message=_l("Kies een aantal dagen tussen 6 en 120."))])
    shared = BooleanField(_l("Eén gezamenlijke terugkomdag voor alle teams van dit Lab"))
