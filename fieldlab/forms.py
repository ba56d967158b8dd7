"""Form pieces shared by the features."""

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, widgets
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation

from fieldlab.submissions import new_token


class EmptyForm(FlaskForm):
    """A CSRF-protected button that posts (logout, deactivate, retry)."""


class SubmissionTokenMixin:
    """A hidden token made when the form is rendered (see fieldlab.submissions): a second submit of
    the same render is recognised and stored once. A re-render after an error keeps the token."""

    submission = HiddenField(default=new_token)


class HiddenInputWithoutId(widgets.HiddenInput):
    """A hidden input with no id: nothing points at a CSRF token, and a page with several forms
    would otherwise repeat id="csrf_token" (invalid HTML, and ambiguous for a label or a script)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)  # WTForms leaves out attributes whose value is False
        return super().__call__(field, **kwargs)


def render_csrf_fields_without_id() -> None:
    """Every form's `{{ form.csrf_token }}` renders without an id. Set once on WTForms' CSRF field
    (which every FlaskForm uses) rather than in each of the forms and templates."""
    CSRFTokenField.widget = HiddenInputWithoutId()


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
