"""How the boards feature is wired into the app: called once by `create_app`.

Kept out of the package's `__init__` so that importing a model or a service of this feature stays
light and cycle-free; only the app factory imports this module, after every package exists.
"""

from fieldlab.boards import routes


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
