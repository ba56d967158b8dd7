"""The Hub's default evaluation form, which a facilitator copies and adapts per Lab."""

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
