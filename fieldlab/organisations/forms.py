from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from fieldlab.forms import REQUIRED
from fieldlab.organisations import services
from fieldlab.organisations.models import Sector

NO_ORGANISATION = "0"


class OrganisationAddForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[InputRequired(REQUIRED), Length(max=200)],
                       description=_l("Bijvoorbeeld: Gemeente Tilburg, ABN AMRO."))
    short_name = StringField(_l("Korte naam"), validators=[Length(max=60)])
    kind = SelectField(_l("Soort organisatie"), validators=[InputRequired(REQUIRED)])
    sector = RadioField(_l("Sector"), choices=[(Sector.PUBLIC.value, _l("publiek")),
                                               (Sector.PRIVATE.value, _l("privaat"))],
                        validators=[InputRequired(_l("Kies publiek of privaat."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = services.kind_choices()

    def validate_name(self, field):
        if services.name_taken(field.data):
            raise ValidationError(_l("Deze organisatie staat al in de lijst."))


ASKED_FIELD = "organisation_asked"


class OrganisationPicker:
    """The organisation a person belongs to, for any form (mix it into a FlaskForm).

    The list holds concrete organisations only. Someone who may add organisations also sees the
    kinds, in their own group ("Een gemeente die er niet bij staat…"); picking one asks "Welke
    gemeente?" in `new_organisation_name`, and `services.pick` adds that gemeente on saving. With
    JavaScript the question appears as soon as the kind is picked (organisations.js); without, the
    form comes back with the question and a message, the rest of the input kept.
    """

    organisation_id = SelectField(_l("Organisatie"), default=NO_ORGANISATION)
    new_organisation_name = StringField(_l("Welke organisatie?"), validators=[Length(max=200)],
                                        description=_l("De naam, zoals Gemeente Tilburg. Hij komt in de lijst "
                                                       "van organisaties."))

    def setup_organisation_picker(self, *, may_add: bool, current=None) -> None:
        """Fill the list. `current`: the organisation the person has now, kept as a choice even when
        it is a kind (someone registered before kinds were marked), so saving does not fail on it."""
        choices = [SelectChoice(NO_ORGANISATION, str(_l("— geen organisatie —")))]
        choices += [SelectChoice(str(row.id), row.name) for row in services.organisation_rows()]
        if current is not None and current.generic:
            choices.append(SelectChoice(str(current.id), current.name))
        self.kind_questions = services.kind_questions() if may_add else []
        group = str(_l("Staat de organisatie er niet bij?"))
        choices += [SelectChoice(question.value, question.option, optgroup=group,
                                 render_kw={"data-question": question.question})
                    for question in self.kind_questions]
        self.organisation_id.choices = choices
        if self.organisation_id.data in (None, "", "None"):
            self.organisation_id.data = NO_ORGANISATION
        chosen = self.chosen_kind_question
        if chosen is not None:
            self.new_organisation_name.label.text = chosen.question
            self.new_organisation_name.flags.required = True

    asking_which = False

    def asks_which_organisation(self) -> bool:
        """True when a kind was picked and its question was not on the screen yet: without
        JavaScript the question stays hidden until the form is sent, so the form comes back with
        the question (its field focused), not with an error about a field the person never saw.
        The question's group says which kind it was shown for (`ASKED_FIELD`: the server writes it
        when it shows the question, organisations.js when it does)."""
        chosen = self.chosen_kind_question
        if chosen is None or (self.new_organisation_name.data or "").strip():
            return False
        if request.form.get(ASKED_FIELD) == chosen.value:
            return False
        self.asking_which = True
        return True

    @property
    def chosen_kind_question(self):
        return next((question for question in getattr(self, "kind_questions", [])
                     if question.value == self.organisation_id.data), None)

    def validate_new_organisation_name(self, field):
        chosen = self.chosen_kind_question
        if chosen is None:
            return
        try:
            services.check_concrete_name(chosen.kind_row, field.data)
        except services.OrganisationError as error:
            raise ValidationError(str(error.message)) from None

    def picked_organisation(self, *, by, now=None):
        """The organisation chosen: None, a concrete one, or the one added for the kind picked."""
        chosen = self.chosen_kind_question
        if chosen is not None:
            return services.add_for_kind(chosen.kind_row, self.new_organisation_name.data, by=by, now=now)
        value = self.organisation_id.data or NO_ORGANISATION
        return services.get(int(value)) if value.isdigit() else None
