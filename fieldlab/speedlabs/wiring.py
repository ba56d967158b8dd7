"""How the speedlabs feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab import reference_cache
from fieldlab.audit.services import ACTION_LABELS, DETAIL_WORDS
from fieldlab.speedlabs import routes
from fieldlab.speedlabs.models import Phase, SpeedlabSession

AUDIT_LABELS = {
    "speedlab_created": _l("speedlab aangemaakt"),
    "speedlab_invited": _l("uitgenodigd voor een speedlab"),
    "speedlab_changed": _l("speedlab gewijzigd"),
    "speedlab_cancelled": _l("speedlab geannuleerd"),
    "speedlab_round_started": _l("speedlabronde gestart"),
    "speedlab_summary_sent": _l("speedlabsamenvatting gemaild"),
    "speedlab_idea_to_problem": _l("vraagstuk gemaakt van een speedlabidee"),
    "speedlab_idea_to_card": _l("speedlabidee op een bord gezet"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    # `services.any_coming` keeps the latest end of the speedlabs not cancelled.
    reference_cache.watch(SpeedlabSession, "starts_at", "ends_at", "cancelled_at")
    DETAIL_WORDS["phase"] = {phase.value: phase.lazy_label for phase in Phase}

    app.register_blueprint(routes.bp)
