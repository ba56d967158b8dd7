from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from fieldlab.auth.models import Role, User
from fieldlab.forms import REQUIRED, CheckboxListField
from fieldlab.organisations.forms import OrganisationPicker

EMAIL_INVALID = _l("Vul een geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl.")


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[InputRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"), validators=[InputRequired(REQUIRED), Length(max=500)])
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat (14 dagen)"))


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[InputRequired(REQUIRED), Email(EMAIL_INVALID),
                                                       Length(max=254)])


def _password_length(form, field):
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Kies een wachtwoord van minstens %(count)s tekens.", count=minimum))
    if len(field.data) > 500:
        raise ValidationError(_l("Kies een wachtwoord van hoogstens 500 tekens."))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nieuw wachtwoord"), validators=[InputRequired(REQUIRED), _password_length],
        description=_l("Minstens 10 tekens. Een zin van een paar woorden is sterk en goed te onthouden."),
    )
    confirm = PasswordField(
        _l("Herhaal het nieuwe wachtwoord"),
        validators=[InputRequired(REQUIRED), EqualTo("password", _l("De twee wachtwoorden zijn niet gelijk."))],
    )


class PasswordChangeForm(NewPasswordForm):
    current_password = PasswordField(_l("Huidig wachtwoord"), validators=[InputRequired(REQUIRED)])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Taal"), choices=[("nl", "Nederlands"), ("en", "English")])


def role_choices():
    return [(role.value, role.label) for role in Role]


class UserInviteForm(OrganisationPicker, FlaskForm):
    """The organisation is picked from concrete ones; a facilitator who picks a kind ("Een gemeente
    die er niet bij staat…") is asked which one, and it is added (OrganisationPicker)."""

    name = StringField(_l("Naam"), validators=[InputRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("E-mailadres"), validators=[InputRequired(REQUIRED), Email(EMAIL_INVALID),
                                                       Length(max=254)])
    roles = CheckboxListField(_l("Rollen"), validators=[InputRequired(_l("Kies minstens één rol."))])

    def __init__(self, *args, may_add_organisation=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_organisation_picker(may_add=may_add_organisation)
        self.roles.choices = role_choices()

    def validate_email(self, field):
        if User.by_email(field.data) is not None:
            raise ValidationError(_l("Er bestaat al een account met dit e-mailadres."))


class UserRolesForm(FlaskForm):
    roles = CheckboxListField(_l("Rollen"), validators=[InputRequired(_l("Kies minstens één rol."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = role_choices()


class SecondStepForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[InputRequired(REQUIRED), Length(max=20)],
        description=_l("De code van zes cijfers uit uw authenticator-app, of een van uw herstelcodes."),
    )


class TwoFactorSetupForm(FlaskForm):
    code = StringField(
        _l("Code uit de app"), validators=[InputRequired(REQUIRED), Length(max=20)],
        description=_l("Zes cijfers, zoals uw app ze nu toont."),
    )


class TwoFactorConfirmForm(FlaskForm):
    """Turning it off or making new recovery codes asks for a current code first."""

    code = StringField(_l("Huidige code"), validators=[InputRequired(REQUIRED), Length(max=20)])
