from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from fieldlab.evaluations.models import QuestionKind
from fieldlab.forms import REQUIRED

ANONYMITY_CHOICES = [
    ("anonymous", _l("Anoniem: antwoorden worden opgeslagen zonder naam")),
    ("named", _l("Op naam: de facilitatoren zien wie wat antwoordde")),
]


class EvaluationFormCreateForm(FlaskForm):
    lab_id = SelectField(_l("Lab"), coerce=int, validators=[InputRequired(REQUIRED)])
    source = SelectField(_l("Beginnen met"), description=_l("Het standaardformulier, of een kopie van een "
                                                            "eerder formulier dat u daarna aanpast."))
    anonymity = RadioField(_l("Anoniem of op naam"), choices=ANONYMITY_CHOICES, default="anonymous",
                           validators=[InputRequired(REQUIRED)])


class EvaluationSettingsForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[InputRequired(REQUIRED), Length(max=200)])
    intro = TextAreaField(_l("Toelichting voor de deelnemer"), validators=[Optional(), Length(max=2000)])
    anonymity = RadioField(_l("Anoniem of op naam"), choices=ANONYMITY_CHOICES,
                           validators=[InputRequired(REQUIRED)],
                           description=_l("De deelnemer ziet dit voordat hij of zij antwoordt. Na het versturen "
                                          "kan het niet meer veranderen."))
    deadline_days = IntegerField(
        _l("Invullen kan tot zoveel dagen na het versturen"),
        validators=[InputRequired(_l("Vul een aantal dagen in.")),
                    NumberRange(1, 90, _l("Kies een aantal dagen van 1 tot en met 90."))],
    )


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Soort vraag"), choices=[(kind.value, kind.lazy_label) for kind in QuestionKind],
                       validators=[InputRequired(REQUIRED)])
    text = StringField(_l("Vraag"), validators=[InputRequired(REQUIRED), Length(max=300)])
    help_text = StringField(_l("Toelichting bij de vraag"), validators=[Optional(), Length(max=300)])
    choices = TextAreaField(_l("Mogelijkheden"), description=_l("Alleen bij een keuzevraag: één mogelijkheid "
                                                                 "per regel."),
                            validators=[Optional(), Length(max=2000)])
    required = BooleanField(_l("Verplicht om in te vullen"), default=True)
    is_overall = BooleanField(_l("Dit is het totaalcijfer van het programma"))
    allow_decimal = BooleanField(_l("Cijfer met één decimaal toestaan (bijvoorbeeld 8,5)"))

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def validate_choices(self, field):
        if self.kind.data == QuestionKind.CHOICE and len(self.choice_list()) < 2:
            raise ValidationError(_l("Geef minstens twee mogelijkheden, één per regel."))
        if any(len(choice) > 200 for choice in self.choice_list()):
            raise ValidationError(_l("Een mogelijkheid is hoogstens 200 tekens lang."))
