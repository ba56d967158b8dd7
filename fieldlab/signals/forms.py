"""Forms of the signal pages. Labels and messages in Dutch; the checks that belong to the Loket's
rules (criteria, what a step needs) live in criteria.py and statemachine.py, not here."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from fieldlab.forms import REQUIRED, CheckboxListField, OptionalMarker
from fieldlab.signals.models import ConsultationOutcome, LegalProcessKind, MisuseEvidence


class SignalDraftForm(FlaskForm):
    lab_id = SelectField(_l("Lab"), coerce=int, validators=[Optional()])
    bottleneck = StringField(_l("Het structurele knelpunt, in één zin"), validators=[Length(max=300)])
    facts = TextAreaField(_l("Feiten uit het werk die het onderbouwen"), validators=[Length(max=20000)],
                          description=_l("Wat blijkt uit het (opsporings)werk van het team? Zonder namen van personen."))
    legal_process = TextAreaField(_l("Het juridische proces dat wordt misbruikt"), validators=[Length(max=5000)],
                                  description=_l("Welke wet, regeling, subsidie of vergunning, en hoe."))
    legal_process_kind = RadioField(_l("Soort proces"), validators=[Optional()],
                                    choices=[(kind.value, kind.lazy_label) for kind in LegalProcessKind])
    ministries = TextAreaField(_l("Geadresseerde bewindspersonen"), validators=[Length(max=2000)],
                               description=_l("Eén per regel, bijvoorbeeld: Minister van Justitie en Veiligheid. "
                                              "Meer dan één mag: het Loket vraagt dan om één gezamenlijk antwoord."))
    measures = TextAreaField(_l("Voorgestelde maatregelen"), validators=[Length(max=10000)])
    submitter_ids = CheckboxListField(_l("Indienende organisaties"), coerce=int,
                                      description=_l("Publieke organisaties die het signaal samen indienen."))
    submitter_contacts = TextAreaField(
        _l("E-mailadressen van de indieners"), validators=[Length(max=3000)],
        description=_l("Eén per regel. Zij krijgen zes maanden na afronding de vraag wat het effect was."))
    misuse_explanation = TextAreaField(_l("Toelichting criterium 1: gebruik of misbruik voor criminele doeleinden"),
                                       validators=[Length(max=5000)])
    structural_explanation = TextAreaField(_l("Toelichting criterium 2: waarom structureel"),
                                           validators=[Length(max=5000)])
    misuse_evidence = RadioField(_l("Hoe vaak wordt het misbruikt?"), validators=[Optional()],
                                 choices=[(kind.value, kind.lazy_label) for kind in MisuseEvidence])
    national_explanation = TextAreaField(_l("Toelichting criterium 3: waarom landelijk niveau"),
                                         validators=[Length(max=5000)])
    minister_can_change = BooleanField(_l("Een minister of staatssecretaris kan de regels veranderen"))
    representative_name = StringField(_l("Naam van de strategisch vertegenwoordiger"), validators=[Length(max=200)],
                                      description=_l("Namens deze persoon van de partnerorganisatie wordt het signaal "
                                                     "definitief ingediend; hij of zij bevestigt dat zelf."))
    representative_email = StringField(_l("E-mailadres van de strategisch vertegenwoordiger"),
                                       validators=[Optional(), Email(_l("Vul een geldig e-mailadres in.")),
                                                   Length(max=254)])

    def __init__(self, *args, organisations=(), labs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitter_ids.choices = list(organisations)
        if labs is None:
            del self.lab_id
        else:
            self.lab_id.choices = list(labs)
            self.lab_id.validators = [InputRequired(REQUIRED)]

    def validate_submitter_contacts(self, field) -> None:
        for line in (field.data or "").splitlines():
            if line.strip():
                try:
                    validate_email(line.strip(), check_deliverability=False)
                except EmailNotValidError as error:
                    raise ValidationError(_l("“%(line)s” is geen geldig e-mailadres.", line=line.strip())) from error

    def values(self) -> dict:
        data = {name: self[name].data for name in (
            "bottleneck", "facts", "legal_process", "legal_process_kind", "measures", "submitter_contacts",
            "misuse_explanation", "structural_explanation", "misuse_evidence", "national_explanation",
            "minister_can_change", "representative_name", "representative_email")}
        data = {name: ("" if value is None else value) for name, value in data.items()}
        data["minister_can_change"] = bool(self.minister_can_change.data)
        data["ministries"] = (self.ministries.data or "").splitlines()
        data["submitter_ids"] = self.submitter_ids.data or []
        return data


class LoketAdviceForm(FlaskForm):
    advice = TextAreaField(_l("Advies van het Loket"), validators=[Length(max=5000)],
                           description=_l("Is een signaal het juiste middel, en wat moet er nog anders?"))
    fits = RadioField(_l("Past een signaal?"), validators=[InputRequired(REQUIRED)],
                      choices=[("yes", _l("Ja: door naar het toetsingsoverleg")),
                               ("no", _l("Nee of nog niet: terug naar concept"))])


class ConsultationForm(FlaskForm):
    on = DateField(_l("Datum van het toetsingsoverleg"), validators=[Optional()],
                   render_kw={"autocomplete": "off"})
    outcome = RadioField(_l("Uitkomst"), validators=[InputRequired(REQUIRED)],
                         choices=[(kind.value, kind.lazy_label) for kind in ConsultationOutcome])
    notes = TextAreaField(_l("Aantekeningen"), validators=[Length(max=5000)])


class DateStepForm(FlaskForm):
    on = DateField(_l("Datum"), validators=[Optional()])


class ReactionForm(FlaskForm):
    on = DateField(_l("Datum van de reactie"), validators=[Optional()])
    text = TextAreaField(_l("Reactie van de bewindspersonen"),
                         validators=[OptionalMarker(_l("(of een verwijzing hieronder)")), Length(max=20000)])
    reference = StringField(_l("Of: verwijzing naar het document"),
                            validators=[OptionalMarker(_l("(als de reactie zelf niet is ingevuld)")), Length(max=300)],
                            description=_l("Bijvoorbeeld een kenmerk of de plek in het dossier."))


class EffectForm(FlaskForm):
    answer = TextAreaField(_l("Wat was het effect van het signaal?"),
                           validators=[InputRequired(_l("Beschrijf het effect van het signaal.")),
                                       Length(max=10000)])
