from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from fieldlab.forms import REQUIRED, CheckboxListField, to_submit
from fieldlab.organisations import services as organisations
from fieldlab.problems.models import Confidentiality, SuitabilityAnswer
from fieldlab.problems.services import SUITABILITY_QUESTIONS, ProblemData, parse_tags
from fieldlab.timeutil import local, utcnow

DATE_INVALID = _l("Vul een datum in als dd-mm-jjjj, bijvoorbeeld 1-3-2027.")


def suitability_field_name(key: str) -> str:
    return f"suitability_{key}"


class VersionedForm(FlaskForm):
    """Carries the version the user saw, so a save based on an older version is refused."""

    version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ProblemForm(VersionedForm):
    title = StringField(_l("Titel"), validators=[InputRequired(REQUIRED), Length(max=200)],
                        description=_l("Kort en herkenbaar, bijvoorbeeld: Uitbuiting in de schoonmaakbranche."))
    description = TextAreaField(_l("Omschrijving"), validators=[to_submit(), Length(max=5000)],
                                description=_l("Wat is het probleem en waarom lukt het niet het aan te pakken?"))
    facts = TextAreaField(_l("Feiten"), validators=[to_submit(), Length(max=10000)],
                          description=_l("Wat weet u zeker? Cijfers, signalen, betrokken partijen."))
    concerns = TextAreaField(_l("Zorgen"), validators=[to_submit(), Length(max=10000)],
                             description=_l("Waar maakt u zich zorgen over? Wat gebeurt er als niemand iets doet?"))
    theme = StringField(_l("Thema"), validators=[Length(max=120)],
                        description=_l("Kies een suggestie of typ een eigen thema."))
    organisation_ids = CheckboxListField(_l("Betrokken organisaties"), coerce=int,
                                         description=_l("Vink alle organisaties aan die bij het probleem "
                                                        "betrokken zijn."))
    new_organisation_name = StringField(_l("Naam van de organisatie"), validators=[Length(max=200)],
                                        description=_l("Bijvoorbeeld: Gemeente Breda, ING."))
    new_organisation_kind = SelectField(_l("Soort organisatie"))
    staff_offered = IntegerField(
        _l("Aantal medewerkers dat uw organisatie beschikbaar stelt"),
        validators=[InputRequired(_l("Vul een aantal in (0 mag ook).")),
                    NumberRange(min=0, max=100, message=_l("Vul een aantal tussen 0 en 100 in."))],
        default=0,
    )
    staff_names = TextAreaField(_l("Wie (namen of functies)"), validators=[Length(max=2000)],
                                description=_l("Als u het al weet. Eén persoon per regel."))
    expertise_needed = StringField(_l("Benodigde expertise"), validators=[Length(max=1000)],
                                   description=_l("Scheid met komma's, bijvoorbeeld: vastgoed, witwassen, "
                                                  "handhaving."))
    desired_start = DateField(_l("Gewenste start"), validators=[Optional()], format="%Y-%m-%d",
                              description=_l("Wanneer zou u willen dat een Lab ermee aan de slag gaat?"))
    confidentiality = RadioField(
        _l("Vertrouwelijkheid"),
        choices=[(level.value, level.lazy_label) for level in Confidentiality],
        default=Confidentiality.INTERNAL.value,
        validators=[InputRequired(_l("Kies hoe vertrouwelijk het vraagstuk is."))],
        description=_l("Openbaar: titel en omschrijving mogen in overzichten staan. Intern: uw organisatie, de "
                       "facilitatoren en de deelnemers van het Lab. Vertrouwelijk: alleen uw organisatie, de "
                       "facilitatoren en het team dat eraan werkt. Een e-mail bevat nooit de feiten of zorgen."),
    )

    def __init__(self, *args, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.stored_desired_start = getattr(kwargs.get("obj"), "desired_start", None)
        self.organisation_ids.choices = organisations.involved_choices()
        self.new_organisation_kind.choices = organisations.kind_choices(placeholder=_l("— kies een soort —"))

    @property
    def suitability_fields(self):
        return [(question, self[suitability_field_name(question.key)]) for question in SUITABILITY_QUESTIONS]

    def validate_desired_start(self, field):
        """A wish to start in the past makes no sense. A start that was ahead when it was saved and
        has passed since (dates move) stays as it is, so the rest can still be changed."""
        if field.data and field.data < local(utcnow()).date() and field.data != self.stored_desired_start:
            raise ValidationError(_l("Deze datum ligt in het verleden. Kies een datum vanaf vandaag."))

    def validate_new_organisation_name(self, field):
        name = (field.data or "").strip()
        if not name:
            return
        if organisations.name_taken(name):
            raise ValidationError(_l("Deze organisatie staat al in de lijst: vink haar hierboven aan."))

    def validate_new_organisation_kind(self, field):
        if (self.new_organisation_name.data or "").strip() and not field.data:
            raise ValidationError(_l("Kies de soort van de organisatie die u toevoegt."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.submitting:
            for field, message in (
                (self.description, _l("Vul een omschrijving in voordat u indient.")),
                (self.facts, _l("Vul de feiten in voordat u indient.")),
                (self.concerns, _l("Vul de zorgen in voordat u indient.")),
            ):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, message]
                    valid = False
        return valid

    def to_data(self) -> ProblemData:
        return ProblemData(
            title=self.title.data or "", description=self.description.data or "", facts=self.facts.data or "",
            concerns=self.concerns.data or "", theme=self.theme.data or "",
            organisation_ids=list(self.organisation_ids.data or []), staff_offered=self.staff_offered.data or 0,
            staff_names=self.staff_names.data or "", expertise_needed=parse_tags(self.expertise_needed.data),
            desired_start=self.desired_start.data, confidentiality=self.confidentiality.data,
            suitability={question.key: self[suitability_field_name(question.key)].data
                         for question in SUITABILITY_QUESTIONS},
            new_organisation_name=self.new_organisation_name.data or "",
            new_organisation_kind=self.new_organisation_kind.data or "",
        )

    @classmethod
    def for_problem(cls, problem, *, saved: bool = False, **kwargs):
        """The form for this vraagstuk: the posted input when there is one, else (or with
        `saved=True`) the stored version."""
        if saved:
            kwargs["formdata"] = None
        form = cls(obj=problem, **kwargs)
        if saved or not form.is_submitted():
            form.organisation_ids.data = [organisation.id for organisation in problem.organisations_involved]
            form.expertise_needed.data = ", ".join(problem.expertise_needed or [])
            form.version.data = str(problem.version)
            for question in SUITABILITY_QUESTIONS:
                form[suitability_field_name(question.key)].data = (problem.suitability or {}).get(question.key)
        return form


for _question in SUITABILITY_QUESTIONS:
    setattr(ProblemForm, suitability_field_name(_question.key), RadioField(
        _question.text, choices=[(answer.value, answer.lazy_label) for answer in SuitabilityAnswer],
        validators=[Optional()],
    ))


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Uw vraag aan de opdrachtgever"),
                             validators=[InputRequired(REQUIRED), Length(max=4000)],
                             description=_l("De opdrachtgever krijgt een e-mail met alleen een link, en "
                                            "antwoordt op deze pagina."))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Uw antwoord"), validators=[InputRequired(REQUIRED), Length(max=8000)])


class AcceptForm(VersionedForm):
    reason = TextAreaField(_l("Toelichting voor de opdrachtgever"), validators=[Length(max=4000)])


class RejectForm(VersionedForm):
    reason = TextAreaField(_l("Reden van afwijzing"),
                           validators=[InputRequired(_l("Geef een reden: de opdrachtgever ziet die bij het "
                                                        "vraagstuk.")), Length(max=4000)],
                           description=_l("De opdrachtgever ziet de reden bij het vraagstuk; de e-mail bevat "
                                          "alleen een link."))


class AttachForm(FlaskForm):
    lab_id = SelectField(_l("Lab"), coerce=int)

    def __init__(self, *args, labs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lab_id.choices = [(0, _l("— nog geen Lab —"))] + [(lab.id, lab.name) for lab in labs]


class WithdrawForm(VersionedForm):
    pass
