"""A second yardstick for bench/pages.py: the least a logged-in page costs on Fieldlab's fixed choices.

Flask 3 with Flask-Login, Flask-SQLAlchemy and Flask-WTF's CSRF protection, nothing else: every
request opens the signed session cookie, Flask-Login loads one user row through the ORM, and the
page is a template of a board's size (16 KB), static apart from a CSRF token and the user's name.
No permissions, no second query, no layout logic, no translations. A Fieldlab page cannot cost
less than this, so its ratio to hello is the ceiling of every page's ratio on the same machine,
and a page's own work is what it costs beyond this.

Served by its own gunicorn, like hello and Fieldlab: `gunicorn 'bench.floor_app:create_app()'`
with DATABASE_URL set (SQLite or PostgreSQL); `prepare(database_url)` makes its one table and
user first (the workers start together and would race to create it). `GET /login` logs the
user in (the bench runs on loopback only).
"""

import os

from flask import Flask, render_template
from flask_login import LoginManager, UserMixin, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from jinja2 import DictLoader
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

db = SQLAlchemy()
USER_ID = 1
# A board-sized page: 200 lines of literal markup, rendered by Jinja as one piece of text.
PAGE = ("<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">"
        "<meta name=\"csrf-token\" content=\"{{ csrf_token() }}\"><title>Bord · Fieldlab</title></head>"
        "<body><header><p>{{ current_user.name }}</p></header><main><ol>"
        + "".join(f"<li class=\"card\"><a href=\"/kaarten/{number}\">Kaart {number}</a>"
                  f" <span class=\"muted\">klaar op dag {number % 100}</span></li>\n" for number in range(200))
        + "</ol></main></body></html>")


class FloorUser(UserMixin, db.Model):
    __tablename__ = "floor_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ.get("SECRET_KEY", "bench-floor"),
                      SQLALCHEMY_DATABASE_URI=database_url or os.environ["DATABASE_URL"])
    app.jinja_loader = DictLoader({"page.html": PAGE})
    db.init_app(app)
    CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    login_manager.user_loader(lambda user_id: db.session.get(FloorUser, int(user_id)))

    @app.get("/login")
    def login():
        login_user(db.session.get(FloorUser, USER_ID))
        return "ok"

    @app.get("/")
    @login_required
    def page():
        return render_template("page.html")

    return app


def prepare(database_url: str) -> None:
    """The table and its one user, before the workers start."""
    app = create_app(database_url)
    with app.app_context():
        db.create_all()
        if db.session.get(FloorUser, USER_ID) is None:
            db.session.add(FloorUser(id=USER_ID, name="Daan Visser"))
            db.session.commit()
        db.engine.dispose()
