"""Form pieces shared by the features."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets


class EmptyForm(FlaskForm):
    """A CSRF-protected button that posts (logout, deactivate, retry)."""


class CheckboxListField(SelectMultipleField):
    """A group of checkboxes: accessible and usable without JavaScript, unlike a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


REQUIRED = _l("Dit veld is verplicht.")
