"""How the problems feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab import reference_cache
from fieldlab.labs.models import Lab
from fieldlab.problems import routes
from fieldlab.problems.models import Problem


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    # `listing.known_themes` is kept between requests: the themes of vraagstukken and Labs.
    reference_cache.watch(Problem, "theme")
    reference_cache.watch(Lab, "theme")
