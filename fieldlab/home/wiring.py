"""How the home feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.forms import filter_options, render_field
from fieldlab.home import routes
from fieldlab.home.navigation import layout, navigation


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    # Site-wide template helpers (every page has the menu; every form uses `field` of macros/forms.html).
    app.jinja_env.globals["render_field"] = render_field
    app.jinja_env.globals["filter_options"] = filter_options
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["layout_parts"] = layout
