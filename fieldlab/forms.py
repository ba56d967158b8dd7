"""Form pieces shared by the features."""

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, widgets
from wtforms.validators import StopValidation

from fieldlab.submissions import new_token


class EmptyForm(FlaskForm):
    """A CSRF-protected button that posts (logout, deactivate, retry)."""


class SubmissionTokenMixin:
    """A hidden token made when the form is rendered (see fieldlab.submissions): a second submit of
    the same render is recognised and stored once. A re-render after an error keeps the token."""

    submission = HiddenField(default=new_token)


class CheckboxListField(SelectMultipleField):
    """A group of checkboxes: accessible and usable without JavaScript, unlike a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


REQUIRED = _l("Dit veld is verplicht.")


class FiniteNumber:
    """A real number, not 'NaN' or 'Infinity' (which Python's float and Decimal accept, and a
    database cannot store), and at most `largest` from zero (what the column holds). Stops the
    chain: the field's other checks would only add a second message about the same value."""

    def __init__(self, largest: float | None = None):
        self.largest = largest

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        if not math.isfinite(field.data):
            raise StopValidation(_l("Vul een getal in."))
        if self.largest is not None and abs(field.data) > self.largest:
            raise StopValidation(_l("Dit getal is te groot."))
