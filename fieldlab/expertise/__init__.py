"""Expertise tags: one spelling per tag, wherever tags are stored or compared (profiles, a
vraagstuk's needed expertise, the paste import, team formation), and suggestions while typing."""


def init_app(app) -> None:
    from fieldlab.expertise import routes, services

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["expertise_labels"] = services.all_labels
