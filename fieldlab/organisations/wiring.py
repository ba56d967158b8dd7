"""How the organisations feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab import reference_cache
from fieldlab.organisations import routes
from fieldlab.organisations.models import Organisation


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    # The organisation and kind lists of every form and filter are kept between requests.
    reference_cache.watch(Organisation)
