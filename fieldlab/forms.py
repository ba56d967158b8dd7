"""Form pieces shared by the features."""

import math
from collections.abc import Callable
from functools import cache

import flask_babel
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, SelectMultipleField, widgets
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation

from fieldlab import reference_cache
from fieldlab.extensions import request_language
from fieldlab.reference_cache import ReferenceList
from fieldlab.submissions import new_token


class EmptyForm(FlaskForm):
    """A CSRF-protected button that posts (logout, deactivate, retry)."""


class SubmissionTokenMixin:
    """A hidden token made when the form is rendered (see fieldlab.submissions): a second submit of
    the same render is recognised and stored once. A re-render after an error keeps the token."""

    submission = HiddenField(default=new_token)


class HiddenInput(widgets.HiddenInput):
    """WTForms' hidden input, written by `_input` (the same HTML, compared with WTForms' own in
    tests/test_form_rendering.py): WTForms formats each attribute through `Markup.format`, which
    cost 60 µs for a CSRF token, and every form page writes one or more."""

    def __call__(self, field, **kwargs):
        return Markup(_input(field, self, {_clean_key(key): value for key, value in kwargs.items()}))


class HiddenInputWithoutId(HiddenInput):
    """A hidden input with no id: nothing points at a CSRF token, and a page with several forms
    would otherwise repeat id="csrf_token" (invalid HTML, and ambiguous for a label or a script)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)  # WTForms leaves out attributes whose value is False
        return super().__call__(field, **kwargs)


def render_csrf_fields_without_id() -> None:
    """Every form's `{{ form.csrf_token }}` renders without an id, and every hidden field through
    `HiddenInput`. Set once on WTForms' field classes (which every form uses) rather than in each
    of the forms and templates."""
    CSRFTokenField.widget = HiddenInputWithoutId()
    HiddenField.widget = HiddenInput()


class CheckboxListField(SelectMultipleField):
    """A group of checkboxes: accessible and usable without JavaScript, unlike a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


REQUIRED = _l("Dit veld is verplicht.")


class OptionalMarker:
    """What a field that may stay empty says after its label, where "(optioneel)" would mislead:
    a draft may be saved without it, but submitting needs it (`to_submit()`), or one of two fields
    will do. It checks nothing; the feature's submit step does, and names what is missing."""

    def __init__(self, text):
        self.field_flags = {"optional_marker": text}

    def __call__(self, form, field) -> None:
        pass


def to_submit() -> OptionalMarker:
    """A field a draft may leave empty, but which is needed to submit."""
    return OptionalMarker(_l("(nodig om in te dienen)"))


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


# --- Rendering a field: label, hint, error and input, as one piece of HTML ---------------------------
#
# Every form in the app renders its fields through `macros/forms.html`'s `field`, which is this
# function. It was a Jinja macro; a form page spent most of its time in it (a macro call, a dozen
# tests and string joins per field, lazy strings translated twice, and WTForms building an option
# object per radio button and formatting every attribute through `Markup.format`). Written in
# Python it writes the same HTML (tests/test_form_rendering.py compares it with the macro it
# replaced and with WTForms' own widgets, field type by field type) in a fraction of the time.

_GROUP_TYPES = ("CheckboxListField", "RadioField")


# markupsafe's escape for a plain string (the same entities), without the Markup object it builds:
# a form page escapes some four hundred attribute values, and `escape` cost a microsecond each.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def _escaped(value) -> str:
    """`escape(value)` as text: markup stays as it is, a plain string is escaped without building
    a Markup object, anything else goes through markupsafe."""
    value_type = type(value)
    if value_type is Markup:
        return value
    if value_type is str:
        return value.translate(_ESCAPES)
    return escape(value)


@cache
def _clean_key(key: str) -> str:
    """WTForms' spelling of an attribute name: `class_` is `class`, `data_x`/`aria_x` are `data-x`.
    (Names come from the code, not from input: a few dozen, so each is worked out once.)"""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


@cache
def _attribute_name(key: str) -> str:
    return str(escape(_clean_key(key)))


def _attributes(attributes: dict) -> str:
    """`html_params` of WTForms, without its per-attribute `Markup.format`: names sorted, True is
    a bare attribute, False leaves it out, values escaped (quotes as `&quot;` where the value is
    markup already)."""
    parts = []
    for key, value in sorted(attributes.items()):
        if value is True:
            parts.append(_attribute_name(key))
        elif value is not False:
            text = value.translate(_ESCAPES) if type(value) is str else str(escape(value)).replace('"', "&quot;")
            parts.append(f'{_attribute_name(key)}="{text}"')
    return " ".join(parts)


def _validation_attributes(field, widget, attributes: dict) -> None:
    """What WTForms adds from the validators' flags (required, maxlength, min, …) unless given."""
    flags = vars(field.flags)
    for key in widget.validation_attrs:
        if key in flags and key not in attributes:
            value = flags[key]
            attributes[key] = value() if callable(value) else value


def _input(field, widget, attributes: dict) -> str:
    attributes.setdefault("id", field.id)
    attributes.setdefault("type", widget.input_type)
    widget_type = type(widget)
    if widget_type is widgets.PasswordInput and widget.hide_value:
        attributes["value"] = ""
    elif widget_type is widgets.NumberInput:
        for key in ("step", "min", "max"):
            if getattr(widget, key) is not None:
                attributes.setdefault(key, getattr(widget, key))
    elif widget_type in (widgets.DateInput, widgets.TimeInput):
        date_format = getattr(field, "format", None)
        if date_format is not None:
            date_format = date_format[0] if isinstance(date_format, list) else date_format
            for key in ("min", "max"):
                value = attributes.get(key, getattr(field.flags, key, None))
                if callable(value):
                    value = value()
                if hasattr(value, "strftime"):
                    attributes[key] = value.strftime(date_format)
    if "value" not in attributes:
        attributes["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in attributes:
        attributes["list"] = datalist if isinstance(datalist, str) else datalist.id
    _validation_attributes(field, widget, attributes)
    attributes["name"] = field.name
    return f"<input {_attributes(attributes)}>"


def _textarea(field, widget, attributes: dict) -> str:
    attributes.setdefault("id", field.id)
    _validation_attributes(field, widget, attributes)
    attributes["name"] = field.name
    return f"<textarea {_attributes(attributes)}>\r\n{_escaped(field._value())}</textarea>"


def _kept_options(field, write: Callable[[], str]) -> str:
    """A field's options (`write()`), written once per reference version when its choices are a
    kept reference list (`reference_cache.ReferenceList`: the organisations and the kinds, some
    sixty options on the Nieuw vraagstuk form and half its fields' time) or fixed in the code
    (`_fixed_choices_key`: the vraagstuk's eight groups of radio buttons), and at most one value
    is chosen; otherwise written now. The options depend on nothing else than what is in the key:
    the list, the field's type, id and name, and the chosen value (WTForms compares it with `==`,
    so values equal as keys choose the same options)."""
    choices = field.choices
    list_key = choices.key if type(choices) is ReferenceList else _fixed_choices_key(choices)
    if list_key is None:
        return write()
    data = field.data
    if isinstance(data, list | tuple | set | frozenset):
        if data:
            return write()
        data = ()
    key = ("field-options", list_key, field.type, field.id, field.name, data)
    try:
        hash(key)
    except TypeError:
        return write()
    return reference_cache.cached(key, write)


def filter_options(rows: list, selected) -> Markup:
    """The <option>s of a list page's filter select: rows with `id` and `name` (the organisations;
    `selected` an id or None) or plain strings (the themes; chosen whatever their case). Written
    once per reference version and chosen value when `rows` is a kept list, instead of a Jinja
    loop over some fifty rows on every list page."""
    if isinstance(selected, str):
        selected = selected.lower()
    if type(rows) is not ReferenceList:
        return _filter_options(rows, selected)
    return reference_cache.cached(("filter-options", rows.key, selected), lambda: _filter_options(rows, selected))


def _filter_options(rows: list, selected) -> Markup:
    html = []
    for row in rows:
        if isinstance(row, str):
            value, label, chosen = row, row, row.lower() == selected
        else:
            value, label, chosen = row.id, row.name, row.id == selected
        html.append(f'<option value="{escape(value)}"{" selected" if chosen else ""}>{escape(label)}</option>')
    return Markup("".join(html))


def _fixed_choices_key(choices) -> tuple | None:
    """A key for choices written in the code: (value, label) pairs whose labels are messages to
    translate (`lazy_gettext` of one message, as the enums' `lazy_label`); the key holds the
    language, the values and the messages. None for any other choices: they are written each time."""
    if type(choices) is not list:
        return None
    key: list = [str(request_language()[0])]
    for choice in choices:
        if type(choice) is not tuple or len(choice) != 2:
            return None
        value, label = choice
        if type(label) is not LazyString or label._func is not flask_babel.gettext or len(label._args) != 1 \
                or label._kwargs:
            return None
        key.append((value, label._args[0]))
    return tuple(key)


def _select_options(field) -> str:
    html = []
    for choice in field._iter_choices_normalized():
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        option = {"value": value, **(choice.render_kw or {})}
        if choice.selected:
            option["selected"] = True
        html.append(f"<option {_attributes(option)}>{escape(choice.label or choice.value)}</option>")
    return "".join(html)


def _select(field, widget, attributes: dict) -> str:
    attributes.setdefault("id", field.id)
    _validation_attributes(field, widget, attributes)
    attributes["name"] = field.name
    return f"<select {_attributes(attributes)}>{_kept_options(field, lambda: _select_options(field))}</select>"


def _has_groups(field) -> bool:
    """`field.has_groups()`, kept with a kept list: WTForms answers it by normalising every choice
    (sixteen objects for the kinds of organisation) on every render."""
    choices = field.choices
    if type(choices) is ReferenceList:
        return reference_cache.cached(("has-groups", choices.key), field.has_groups)
    return field.has_groups()


_PLAIN_INPUTS = (widgets.TextInput, widgets.EmailInput, widgets.SearchInput, widgets.TelInput, widgets.URLInput,
                 widgets.PasswordInput, widgets.NumberInput, widgets.DateInput, widgets.TimeInput)


def render_widget(field, attributes: dict) -> str:
    """`field(**attributes)`: the input, textarea or select exactly as WTForms writes it, for the
    widgets the app uses; anything else (a custom widget, a select with groups) goes to WTForms."""
    attributes = {_clean_key(key): value for key, value in attributes.items()}
    if field.render_kw:
        attributes = {**{_clean_key(key): value for key, value in field.render_kw.items()}, **attributes}
    widget = field.widget
    widget_type = type(widget)
    if widget_type in _PLAIN_INPUTS:
        return _input(field, widget, attributes)
    if widget_type is widgets.TextArea:
        return _textarea(field, widget, attributes)
    if widget_type is widgets.Select and not widget.multiple and not _has_groups(field):
        return _select(field, widget, attributes)
    return str(field(**attributes))


def _text(value, translations):
    """A label or hint translated once: a lazy string translates itself through four lookups of
    the request context on every use (and the macro used each twice: `if` and output). Like the
    lazy string's own `__html__`, the translation is written as it is (translations are ours)."""
    if type(value) is LazyString and value._func is flask_babel.gettext and len(value._args) == 1 \
            and not value._kwargs:
        return Markup(translations.ugettext(value._args[0]))
    return value


def _messages(field, field_id: str, description: str) -> str:
    html = ""
    if description:
        html += f'\n<p class="field__hint" id="{field_id}-hint">{description}</p>'
    if field.errors:
        html += (f'\n<p class="field__error" id="{field_id}-error">'
                 + "".join(f"{escape(error)} " for error in field.errors) + "</p>")
    return html


def _group_options(f, field_id: str, input_type: str, translations) -> str:
    name = _escaped(f.name)
    html = []
    for index, choice in enumerate(f._iter_choices_normalized()):
        option_id = f"{field_id}-{index}"
        checked = " checked" if choice.selected else ""
        html.append(f'<li class="choice"><input id="{option_id}" name="{name}" type="{input_type}" '
                    f'value="{escape(choice.value)}"{checked}>\n'
                    f'<label for="{option_id}">{escape(_text(choice.label, translations) or choice.value)}</label>'
                    '</li>\n')
    return "".join(html)


def _optional_marker(f, translations) -> str:
    marker = getattr(f.flags, "optional_marker", None)
    text = _text(marker, translations) if marker is not None else translations.ugettext("(optioneel)")
    return f' <span class="field__optional">{_escaped(text)}</span>'


def render_field(f, type=None, autocomplete=None, wide=False, attrs=None) -> Markup:  # noqa: A002
    """One field with its label, hint and error message, linked by aria-describedby; optional
    fields say so; a group of radios or checkboxes is a fieldset with a legend. (`type` is
    accepted for the templates that pass it; the field's widget decides the input's type.)"""
    translations = request_language()[1]
    field_id = _escaped(f.id)
    description = _text(f.description, translations)
    description = _escaped(description) if description else ""
    described = []
    if description:
        described.append(f"{f.id}-hint")
    if f.errors:
        described.append(f"{f.id}-error")
    invalid = " field--invalid" if f.errors else ""
    label = _escaped(_text(f.label.text, translations))
    field_type = f.type
    if field_type in _GROUP_TYPES:
        optional = "" if f.flags.required else _optional_marker(f, translations)
        described_by = f' aria-describedby="{escape(" ".join(described))}"' if described else ""
        input_type = "checkbox" if field_type == "CheckboxListField" else "radio"
        options = _kept_options(f, lambda: _group_options(f, field_id, input_type, translations))
        return Markup(f'<fieldset class="field field--group{invalid}"{described_by}>\n'
                      f'<legend class="field__label">{label}{optional}</legend>{_messages(f, field_id, description)}\n'
                      f'<ul class="choice-list">\n{options}</ul>\n</fieldset>')
    if field_type == "BooleanField":
        return Markup(
            f'<div class="field field--checkbox{invalid}">\n'
            f'{f(**({"aria-describedby": " ".join(described)} if described else {}))}\n'
            f'{f.label(class_="field__label")}{_messages(f, field_id, description)}\n</div>')
    required = f.flags.required
    optional = "" if required or field_type == "SelectField" else _optional_marker(f, translations)
    input_attributes = {"class": "input", **(attrs or {})}
    if described:
        input_attributes["aria-describedby"] = " ".join(described)
    if f.errors:
        input_attributes["aria-invalid"] = "true"
    if autocomplete:
        input_attributes["autocomplete"] = autocomplete
    if required:
        # A select that always has a value chosen is not "required" in HTML terms (only one whose
        # first option is an empty placeholder is); WTForms would add it from the field's flags.
        first = next(iter(f._iter_choices_normalized()), None) if field_type == "SelectField" else None
        input_attributes["required"] = first is None or first.value in ("", None)
    wide_class = " field--wide" if wide else ""
    return Markup(
        f'<div class="field{invalid}{wide_class}">\n'
        f'<label class="field__label" for="{field_id}">{label}{optional}</label>'
        f'{_messages(f, field_id, description)}\n{render_widget(f, input_attributes)}\n</div>')
