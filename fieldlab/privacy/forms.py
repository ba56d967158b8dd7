from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional


class PostponeForm(FlaskForm):
    """Postpone one person's purge. The rules (a date after today, a reason) are the service's, so
    they hold for every caller; the form only reads the input."""

    until = DateField(_l("Bewaren tot en met"), validators=[Optional()],
                      description=_l("De opschoning neemt deze persoon op die datum mee, niet eerder."))
    reason = TextAreaField(_l("Reden"), validators=[Optional()],
                           description=_l("Bijvoorbeeld een lopende klacht of een verzoek van de rechter. Zonder "
                                          "bijzondere persoonsgegevens; de reden komt in het logboek."))
