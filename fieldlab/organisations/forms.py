from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from fieldlab.forms import REQUIRED
from fieldlab.organisations import services
from fieldlab.organisations.models import Sector


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
        self.kind.choices = [(kind, kind) for kind in sorted({kind for kind, _ in services.kinds()})]

    def validate_name(self, field):
        if services.name_taken(field.data):
            raise ValidationError(_l("Deze organisatie staat al in de lijst."))
