"""How the expertise feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab import reference_cache
from fieldlab.expertise import routes, services
from fieldlab.expertise.models import ExpertiseTag


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    app.jinja_env.globals["expertise_labels"] = services.all_labels
    reference_cache.watch(ExpertiseTag)  # `all_labels` is kept between requests
