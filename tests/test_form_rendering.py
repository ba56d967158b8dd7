"""The `field` of macros/forms.html is `fieldlab.forms.render_field`, written in Python for speed.
It must write what the Jinja macro it replaced wrote (labels, hints, aria-describedby, errors next
to the field, optional markers, fieldsets with legends), and its inputs must be WTForms' own.
Checked for every field of every form in the app, empty and filled in, with and without errors."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, widgets

from fieldlab.extensions import db
from fieldlab.forms import filter_options, render_field, render_widget
from fieldlab.reference_cache import ReferenceList

# The macro as it was (commit 562d7a5), the reference for the HTML; since then a field may say
# what it is needed for instead of "(optioneel)" (`fieldlab.forms.OptionalMarker`).
REFERENCE_MACRO = """
{% macro field(f, type=None, autocomplete=None, wide=False, attrs=None) %}
  {% set described = [] %}
  {% if f.description %}{% do described.append(f.id ~ '-hint') %}{% endif %}
  {% if f.errors %}{% do described.append(f.id ~ '-error') %}{% endif %}
  {% if f.type in ('CheckboxListField', 'RadioField') %}
    <fieldset class="field field--group{{ ' field--invalid' if f.errors }}"{% if described %} aria-describedby="{{ described|join(' ') }}"{% endif %}>
      <legend class="field__label">{{ f.label.text }}{% if not f.flags.required %} <span class="field__optional">{{ f.flags.optional_marker or _('(optioneel)') }}</span>{% endif %}</legend>
      {% if f.description %}<p class="field__hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
      {% if f.errors %}<p class="field__error" id="{{ f.id }}-error">{% for e in f.errors %}{{ e }} {% endfor %}</p>{% endif %}
      <ul class="choice-list">
        {% for option in f %}
          <li class="choice"><input id="{{ option.id }}" name="{{ f.name }}" type="{{ 'checkbox' if f.type == 'CheckboxListField' else 'radio' }}" value="{{ option.data }}"{% if option.checked %} checked{% endif %}>
            <label for="{{ option.id }}">{{ option.label.text }}</label></li>
        {% endfor %}
      </ul>
    </fieldset>
  {% elif f.type == 'BooleanField' %}
    <div class="field field--checkbox{{ ' field--invalid' if f.errors }}">
      {{ f(**({'aria-describedby': described|join(' ')} if described else {})) }}
      {{ f.label(class_='field__label') }}
      {% if f.description %}<p class="field__hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
      {% if f.errors %}<p class="field__error" id="{{ f.id }}-error">{% for e in f.errors %}{{ e }} {% endfor %}</p>{% endif %}
    </div>
  {% else %}
    <div class="field{{ ' field--invalid' if f.errors }}{{ ' field--wide' if wide }}">
      <label class="field__label" for="{{ f.id }}">{{ f.label.text }}{% if not f.flags.required and f.type not in ('SelectField',) %} <span class="field__optional">{{ f.flags.optional_marker or _('(optioneel)') }}</span>{% endif %}</label>
      {% if f.description %}<p class="field__hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
      {% if f.errors %}<p class="field__error" id="{{ f.id }}-error">{% for e in f.errors %}{{ e }} {% endfor %}</p>{% endif %}
      {% set input_attrs = dict({'class': 'input'}, **(attrs or {})) %}
      {% if described %}{% do input_attrs.update({'aria-describedby': described|join(' ')}) %}{% endif %}
      {% if f.errors %}{% do input_attrs.update({'aria-invalid': 'true'}) %}{% endif %}
      {% if autocomplete %}{% do input_attrs.update({'autocomplete': autocomplete}) %}{% endif %}
      {% set first_options = (f|list)[:1] if f.type == 'SelectField' else [] %}
      {% if f.flags.required %}{% do input_attrs.update({'required': not first_options or first_options[0].data in ('', none)}) %}{% endif %}
      {{ f(**input_attrs) }}
    </div>
  {% endif %}
{% endmacro %}
{{ field(f, autocomplete=autocomplete, wide=wide, attrs=attrs) }}
"""

VARIANTS = [
    {},
    {"wide": True, "autocomplete": "off"},
    {"attrs": {"rows": 4, "list": "x-suggestions", "hx-vals": '{"veld": "a&b"}', "data_x": "<y>", "min": 0}},
]


def _all_form_classes():
    seen, todo = [], list(Form.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return [cls for cls in seen if cls.__module__.startswith("fieldlab.")]


def _forms(cls):
    """The form empty and filled in (text with quotes and markup, the first choice of each list)."""
    try:
        empty = cls(formdata=None)
    except TypeError:
        return []
    data = MultiDict()
    for field in empty:
        if hasattr(field, "_iter_choices_normalized"):
            choices = list(field._iter_choices_normalized())
            if choices:
                data.add(field.name, str(choices[-1].value))
        elif field.type in ("DateField",):
            data.add(field.name, "2027-03-01")
        elif field.type in ("IntegerField", "DecimalField", "FloatField"):
            data.add(field.name, "7")
        elif field.type == "BooleanField":
            data.add(field.name, "y")
        else:
            data.add(field.name, 'Een "titel" <b>& meer</b> van \'t jaar')
    return [empty, cls(formdata=data)]


def _normalise(html) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


@pytest.fixture
def forms(app, make):
    make.make_organisation("Gemeente <Breda>")
    make.make_organisation('Stichting "Ons"', kind="stichting")
    db.session.commit()
    with app.test_request_context("/"):
        built = [(cls, form) for cls in _all_form_classes() for form in _forms(cls)]
        yield built


def test_every_form_of_the_app_is_checked(forms):
    classes = {cls for cls, _ in forms}
    assert len(classes) >= 50, sorted(cls.__name__ for cls in classes)
    types = {field.type for _, form in forms for field in form}
    assert {"StringField", "TextAreaField", "SelectField", "RadioField", "CheckboxListField", "BooleanField",
            "IntegerField", "DateField", "EmailField", "PasswordField", "TimeField"} <= types


def test_inputs_are_what_wtforms_writes(forms):
    checked = 0
    for _, form in forms:
        for field in form:
            for attributes in ({}, {"class": "input", "aria-describedby": "a-hint", "required": False},
                               {"class_": "input", "required": True, "autocomplete": "off", "rows": 3}):
                assert render_widget(field, dict(attributes)) == str(field(**attributes)), (field.name, attributes)
                checked += 1
    assert checked > 500


def test_hidden_fields_are_what_wtforms_writes(forms):
    """Hidden fields and CSRF tokens are written by fieldlab.forms.HiddenInput (the token without
    an id); WTForms' own hidden input is the reference."""
    checked = set()
    for _, form in forms:
        for field in form:
            if field.type not in ("HiddenField", "CSRFTokenField"):
                continue
            without_id = {"id": False} if field.type == "CSRFTokenField" else {}
            for attributes in ({}, {"class_": "x", "data_role": '"<y>"'}, {"value": "a&b", "disabled": True}):
                expected = widgets.HiddenInput()(field, **{**without_id, **attributes})
                assert str(field(**attributes)) == str(expected), (field.name, attributes)
            checked.add(field.type)
    assert checked == {"HiddenField", "CSRFTokenField"}


def test_fields_are_what_the_macro_wrote(app, forms):
    reference = app.jinja_env.overlay(autoescape=True).from_string(REFERENCE_MACRO)
    checked = 0
    for cls, form in forms:
        for field in form:
            if field.type in ("HiddenField", "CSRFTokenField", "FormField", "SubmitField"):
                continue
            for errors in ([], ["Dit veld is verplicht.", 'Kies <een> "waarde" & meer']):
                field.errors = errors
                for variant in VARIANTS:
                    arguments = {"autocomplete": None, "wide": False, "attrs": None, **variant}
                    expected = reference.render(f=field, **arguments)
                    rendered = render_field(field, **arguments)
                    assert isinstance(rendered, Markup)
                    assert _normalise(rendered) == _normalise(expected), (cls.__name__, field.name, errors, variant)
                    checked += 1
    assert checked > 1000


def test_date_limits_are_written_like_wtforms(app):
    from wtforms import DateField
    from wtforms.validators import DataRequired

    class Limited(Form):
        day = DateField("Dag", validators=[DataRequired()])

    form = Limited(data={"day": date(2027, 3, 1)})
    form.day.flags.min = date(2027, 1, 1)
    attributes = {"max": date(2027, 12, 31)}
    assert render_widget(form.day, dict(attributes)) == str(form.day(**attributes))


# The filter loops of the list pages as they were (problems/index.html, labs/alumni.html).
REFERENCE_ORGANISATION_LOOP = ('{% for organisation in organisations %}<option value="{{ organisation.id }}"'
                               '{% if organisation.id == selected %} selected{% endif %}>{{ organisation.name }}'
                               '</option>{% endfor %}')
REFERENCE_THEME_LOOP = ('{% for theme in themes %}<option value="{{ theme }}"{% if theme|lower == selected|lower %}'
                        ' selected{% endif %}>{{ theme }}</option>{% endfor %}')


def test_filter_options_are_what_the_template_loops_wrote(app):
    organisations = [SimpleNamespace(id=3, name='Gemeente "Den" <Bosch> & co'), SimpleNamespace(id=7, name="ING")]
    themes = ["mensenhandel", "Vastgoed & <witwassen>", 'drugs "in" haven']
    environment = app.jinja_env.overlay(autoescape=True)
    with app.test_request_context("/"):
        for rows in (organisations, _kept(organisations, "organisations")):
            for selected in (None, 3, 7, 99):
                expected = environment.from_string(REFERENCE_ORGANISATION_LOOP).render(organisations=rows,
                                                                                       selected=selected)
                assert filter_options(rows, selected) == expected, selected
        for rows in (themes, _kept(themes, "themes")):
            for selected in ("", "vastgoed & <witwassen>", "MENSENHANDEL", 'drugs "in" haven', "anders"):
                expected = environment.from_string(REFERENCE_THEME_LOOP).render(themes=rows, selected=selected)
                assert filter_options(rows, selected) == expected, selected
        assert "selected" in filter_options(themes, "MENSENHANDEL")


def _kept(rows: list, key: str) -> ReferenceList:
    kept = ReferenceList(rows)
    kept.key = key
    return kept
