"""Audit events: logins, role changes, deactivations, exports and deletions."""


def init_app(app) -> None:
    from fieldlab.audit import routes

    app.register_blueprint(routes.bp)
