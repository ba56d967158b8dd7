"""Speedlabs: short live think sessions of alumni and a problem owner (ideas, clusters, dots)."""


def init_app(app) -> None:
    from fieldlab.speedlabs import routes
    from fieldlab.timeutil import local

    @app.template_filter("speedlab_time")
    def speedlab_time(moment, pattern="%d-%m-%Y %H:%M"):
        return local(moment).strftime(pattern) if moment else ""

    app.register_blueprint(routes.bp)
