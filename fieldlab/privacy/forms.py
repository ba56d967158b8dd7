from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired


class PostponeForm(FlaskForm):
    """Postpone one person's purge. The rules on the values (a date after today, within ten years,
    a reason of reasonable length) are the service's, so they hold for every caller."""

    until = DateField(_l("Bewaren tot en met"), validators=[InputRequired(_l("Vul een datum in."))],
                      description=_l("De opschoning neemt deze persoon op die datum mee, niet eerder."))
    reason = TextAreaField(_l("Reden van het uitstel"),
                           validators=[InputRequired(_l("Schrijf op waarom de gegevens langer blijven."))],
                           description=_l("Bijvoorbeeld een lopende klacht of een verzoek van de rechter. Zonder "
                                          "bijzondere persoonsgegevens; de reden komt in het logboek."))
