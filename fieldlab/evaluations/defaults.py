"""The Hub's default evaluation form, which a facilitator copies and adapts per Lab."""

import re
from functools import cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from fieldlab.evaluations.models import QuestionKind

DEFAULT_TITLE = _l("Evaluatie van het programma")
DEFAULT_INTRO = _l("Hoe heeft u het Field Lab ervaren? Uw antwoorden helpen ons de volgende Labs beter te maken. "
                   "Invullen kost ongeveer vijf minuten.")

# (key, kind, text, help text, required, is_overall)
DEFAULT_QUESTIONS = (
    ("overall", QuestionKind.GRADE, _l("Welk cijfer geeft u het programma als geheel?"),
     _l("1 is zeer slecht, 10 is uitstekend."), True, True),
    ("content", QuestionKind.GRADE, _l("Welk cijfer geeft u de inhoud?"), "", True, False),
    ("guidance", QuestionKind.GRADE, _l("Welk cijfer geeft u de begeleiding door de facilitatoren?"), "", True,
     False),
    ("teamwork", QuestionKind.GRADE, _l("Welk cijfer geeft u de samenwerking in het team?"), "", True, False),
    ("usefulness", QuestionKind.GRADE, _l("Welk cijfer geeft u de bruikbaarheid voor uw eigen werk?"), "", True,
     False),
    ("takeaway", QuestionKind.TEXT, _l("Wat neemt u mee uit dit Field Lab?"), "", False, False),
    ("tips", QuestionKind.TEXT, _l("Heeft u tips voor ons?"), "", False, False),
)


RETURN_DAY_TITLE = _l("Evaluatie terugkomdag dag %(day)s")
_RETURN_DAY_TITLE_SOURCE = re.compile(r"^Evaluatie terugkomdag dag (\d+)$")


def in_dutch(text) -> str:
    """A default text as it is stored: in Dutch, the source language, whoever creates the form
    (a form made by an English-speaking facilitator is answered by Dutch participants too)."""
    with force_locale("nl"):
        return str(text)


@cache
def _default_texts() -> dict[str, object]:
    """The Dutch source of every default text → its lazy translation."""
    texts = [DEFAULT_TITLE, DEFAULT_INTRO]
    for _key, _kind, text, help_text, _required, _overall in DEFAULT_QUESTIONS:
        texts.append(text)
        if help_text:
            texts.append(help_text)
    return {in_dutch(text): text for text in texts}


def shown(text: str | None) -> str:
    """A stored title, intro, question or hint in the reader's language when it is still the
    default text (unchanged since it was copied); a text a facilitator wrote stays as written."""
    if not text:
        return text or ""
    translated = _default_texts().get(text)
    if translated is not None:
        return str(translated)
    day = _RETURN_DAY_TITLE_SOURCE.match(text)
    if day:
        return str(RETURN_DAY_TITLE) % {"day": day.group(1)}
    return text
