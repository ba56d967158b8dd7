from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from fieldlab.forms import REQUIRED, FiniteNumber
from fieldlab.teams.models import PairKind


class VersionedForm(FlaskForm):
    """Every change to the draft says which version it was based on (stale changes are refused)."""

    version = IntegerField(validators=[Optional()])


class TeamCreateForm(FlaskForm):
    name = StringField(_l("Naam van het team"), validators=[InputRequired(REQUIRED), Length(max=80)],
                       description=_l("Bijvoorbeeld: Team Lovitura."))
    problem_id = SelectField(_l("Vraagstuk"), coerce=int,
                             description=_l("Het team werkt aan dit vraagstuk; de benodigde expertise komt daarvandaan."))

    def __init__(self, lab, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lab = lab
        self.problem_id.choices = [(0, _l("(nog geen vraagstuk)"))] + [
            (problem.id, problem.title) for problem in sorted(lab.problems, key=lambda p: p.title.lower())]

    def validate_name(self, field):
        if any(team.name.strip().lower() == (field.data or "").strip().lower() for team in self.lab.teams):
            raise ValidationError(_l("Dit Lab heeft al een team met deze naam."))


class MoveForm(VersionedForm):
    user_id = IntegerField(validators=[InputRequired()])
    team_id = StringField()


class PinForm(VersionedForm):
    user_id = IntegerField(validators=[InputRequired()])
    pinned = HiddenField()


class PairRuleForm(VersionedForm):
    first_user_id = SelectField(_l("Eerste deelnemer"), coerce=int)
    second_user_id = SelectField(_l("Tweede deelnemer"), coerce=int)
    kind = RadioField(_l("Regel"), choices=[(PairKind.APART.value, _l("moeten in verschillende teams")),
                                           (PairKind.TOGETHER.value, _l("moeten in hetzelfde team"))],
                      default=PairKind.APART.value, validators=[InputRequired(REQUIRED)])

    def __init__(self, participants, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(user.id, user.name) for user in participants]
        self.first_user_id.choices = choices
        self.second_user_id.choices = choices

    def validate_second_user_id(self, field):
        if field.data == self.first_user_id.data:
            raise ValidationError(_l("Kies twee verschillende deelnemers."))


class ExpertiseMergeForm(FlaskForm):
    """Two spellings of one expertise: the first disappears into the second."""

    source = SelectField(_l("Spelling die verdwijnt"), validators=[InputRequired(REQUIRED)])
    target = SelectField(_l("Samenvoegen met"), validators=[InputRequired(REQUIRED)],
                         description=_l("Deze spelling blijft: in alle profielen en vraagstukken, ook van andere Labs."))

    def __init__(self, labels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(label, label) for label in labels]
        self.source.choices = choices
        self.target.choices = choices

    def validate_target(self, field):
        if field.data == self.source.data:
            raise ValidationError(_l("Kies twee verschillende spellingen."))


WEIGHT_LABELS = {
    "coverage": _l("Benodigde expertise"),
    "organisations": _l("Verschillende organisaties"),
    "levels": _l("Mix van niveaus"),
    "sectors": _l("Publiek en privaat samen"),
    "weakest": _l("Zwakste team telt extra"),
}


def settings_form(teams, *args, **kwargs) -> FlaskForm:
    """Weights, and an optional exact size per team (a field per team, so built per Lab)."""

    class SettingsForm(VersionedForm):
        def validate(self, extra_validators=None):
            if not super().validate(extra_validators):
                return False
            if sum(self[f"weight_{name}"].data for name in ("coverage", "organisations", "levels", "sectors")) <= 0:
                self.weight_coverage.errors.append(_l("Geef minstens één van de vier teamscores een gewicht."))
                return False
            return True

    for name, label in WEIGHT_LABELS.items():
        setattr(SettingsForm, f"weight_{name}", FloatField(
            label, validators=[InputRequired(REQUIRED), FiniteNumber(),
                               NumberRange(min=0, max=10, message=_l("Kies 0 tot en met 10."))]))
    for team in teams:
        setattr(SettingsForm, f"size_{team.id}", IntegerField(
            _l("Doelgrootte %(team)s", team=team.name),
            validators=[Optional(), NumberRange(min=1, max=50, message=_l("Kies 1 tot en met 50."))]))
    form = SettingsForm(*args, **kwargs)
    form.weight_fields = [form[f"weight_{name}"] for name in WEIGHT_LABELS]
    form.size_fields = [(team, form[f"size_{team.id}"]) for team in teams]
    return form
