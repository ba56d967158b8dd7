"""The `fieldlab` command: serve, scheduler, seed-demo, create-user (plus Flask's and Flask-Migrate's `db`)."""

import ipaddress
import signal
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import pyotp
import waitress
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from fieldlab import backup, create_app, scheduler
from fieldlab.auth.models import Role, User, normalise_email
from fieldlab.auth.services import hash_password
from fieldlab.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET, is_demo_account, seed_demo
from fieldlab.extensions import db
from fieldlab.i18n import translations_command
from fieldlab.organisations.services import load_reference_list
from fieldlab.timeutil import local, utcnow


def _create_app(*args, **kwargs):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main():
    """Fieldlab: Field Lab programmes from vraagstuk to terugkomdag."""


def init_app(app: Flask) -> None:
    for command in (serve, scheduler_command, seed_demo_command, create_user_command, prepare_command,
                    translations_command, backup_command, restore_command, demo_code_command):
        app.cli.add_command(command)


def prepare_database(*, demo: bool) -> list:
    """Bring the schema up to date (migrations), load the reference organisations, and fill an
    empty database with demo data. Returns the demo logins when it seeded them."""
    upgrade()
    load_reference_list()
    logins = []
    if demo and db.session.scalar(select(func.count()).select_from(User)) == 0:
        logins = seed_demo(today=local(utcnow()).date())
    db.session.commit()
    return logins


def _print_logins(logins) -> None:
    if not logins:
        return
    click.echo(f"\nDemo-gegevens geladen. Inloggen kan met (wachtwoord voor allen: {DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.role:<15} {login.email:<45} {login.name}")
    click.echo(f"De facilitator logt in met tweestapsverificatie: sleutel {DEMO_TOTP_SECRET} in een "
               "authenticator-app, of `fieldlab demo-code` voor de code van nu.\n")


def _print_existing_data() -> None:
    """A second start loads nothing and would print nothing about what is in the database: say
    which database it is and, when it holds the demo accounts, where their logins are written."""
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(f"\nBestaande database: {url}")
    demo_accounts = db.session.scalar(select(func.count()).select_from(User)
                                      .where(User.email.endswith("@" + DEMO_DOMAIN)))
    if demo_accounts:
        click.echo(f"Met demo-gegevens: de demo-logins (wachtwoord {DEMO_PASSWORD}) staan in README.md onder "
                   "'Demo logins'; `fieldlab demo-code` geeft de code voor de facilitator.")


@click.command("prepare")
@click.option("--demo/--no-demo", default=False, help="Load demo data into an empty database.")
@with_appcontext
def prepare_command(demo):
    """Migrate the database and load the reference data (deployments run this once per release)."""
    _print_logins(prepare_database(demo=demo))
    click.echo("Database bijgewerkt.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load demo data into an empty database.")
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=True, show_default=True,
              help="Run the scheduler in this process (the embedded default).")
@with_appcontext
def serve(host, port, threads, demo, with_scheduler):
    """Start Fieldlab (waitress), with the scheduler in-process: the embedded default."""
    app = current_app._get_current_object()
    if not app.config.get("BASE_URL"):
        # Links in mail follow the address this server listens on (issue #15); set before the
        # demo data is loaded, whose invitations and evaluation requests are queued with links.
        app.config["BASE_URL"] = listening_url(host, port)
    logins = prepare_database(demo=demo)
    _print_logins(logins)
    if not logins:
        _print_existing_data()
    if _is_loopback(host) and not app.config.get("SESSION_COOKIE_SECURE_FORCED"):
        # Plain http on this machine only: browsers would drop Secure cookies (Safari does).
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    if with_scheduler:
        app.config["SCHEDULER_ENABLED"] = True
        if scheduler.start(app, wait_for_lock=False):
            click.echo("Planner gestart in dit proces.")
        else:
            click.echo("Een ander proces draait de planner al; dit proces doet dat niet.")
    click.echo(f"Fieldlab draait op http://{host}:{port}/  (stoppen: Ctrl+C)")
    with _sigterm_as_ctrl_c():
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="Fieldlab")
        except OSError as error:  # the port is in use or not ours to take: a message, not a traceback
            raise click.ClickException(f"Kan niet luisteren op {host}:{port}: {error.strerror or error}") from error
        finally:
            scheduler.shutdown(app)
    click.echo("Fieldlab gestopt.")


@contextmanager
def _sigterm_as_ctrl_c():
    """SIGTERM (a service manager stopping `serve`, `docker stop`) stops it as Ctrl+C does:
    waitress finishes the requests it is answering, then the scheduler lets its running job
    bodies reach a stopping point and gives up its lock. Python's own default for SIGTERM ends the
    process at once, in the middle of a request or a job body. A second SIGTERM while stopping is
    ignored, so it cannot cut that short. Afterwards the handler before it is back (tests invoke
    `serve` in their own process)."""

    def stop(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def listening_url(host: str, port: int) -> str:
    """The address `serve` listens on, as a base for links: a wildcard address (0.0.0.0, ::) is not
    one a reader can open, so the host's name stands in for it."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"
    if address.is_unspecified:
        return f"http://{socket.getfqdn()}:{port}"
    return f"http://[{host}]:{port}" if address.version == 6 else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler in its own process (deployments with several web workers).

    A second one started on this or another host waits as a hot standby until the first stops."""
    app = current_app._get_current_object()
    stop = scheduler.SignalStop()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("Wachten op het planner-slot (een andere planner kan het hebben)...", err=True)
    if not scheduler.start(app, wait_for_lock=True, stop=stop):
        click.echo("Gestopt voordat deze planner het slot kreeg.", err=True)
        return
    click.echo("Planner gestart.", err=True)
    stop.wait(None)
    took = scheduler.shutdown(app)
    click.echo(f"Planner gestopt in {took:.1f} s.", err=True)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo data into an empty database."""
    logins = prepare_database(demo=True)
    if not logins:
        click.echo("De database is niet leeg; er zijn geen demogegevens geladen.")
        sys.exit(1)
    _print_logins(logins)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, default=["facilitator"], show_default=True,
              type=click.Choice(["facilitator", "commissioner", "participant", "manager"]))
@click.password_option()
@with_appcontext
def create_user_command(email, name, roles, password):
    """Create an account with a password (the first facilitator of a new installation).

    The same rules as the web forms: a valid address, a name that fits its column (PostgreSQL would
    refuse a longer one with a traceback, SQLite would store it) and a password of PASSWORD_MIN_LENGTH."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"Ongeldig e-mailadres: {error}") from error
    name = name.strip()
    if not name:
        raise click.ClickException("Vul een naam in.")
    longest = User.__table__.c.name.type.length
    if len(name) > longest:
        raise click.ClickException(f"Kies een naam van hoogstens {longest} tekens (deze heeft er {len(name)}).")
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.ClickException(f"Kies een wachtwoord van minstens {minimum} tekens.")
    if User.by_email(email):
        raise click.ClickException("Er bestaat al een account met dit e-mailadres.")
    user = User(email=email, name=name, password_hash=hash_password(password))
    user.set_roles(Role(role) for role in roles)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Account aangemaakt voor {user.email}.")


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: instance/backups/).")
@with_appcontext
def backup_command(output):
    """Write a consistent copy of the database (SQLite backup API, or pg_dump)."""
    app = current_app._get_current_object()
    destination = Path(output) if output else backup.default_backup_path(app, now=utcnow())
    try:
        backup.backup(app, destination)
    except backup.BackupError as error:
        raise click.ClickException(f"Back-up mislukt: {error}") from error
    click.echo(f"Back-up geschreven naar {destination}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source, yes):
    """Replace the database with a backup. Stop the web workers and the scheduler first."""
    if not yes:
        click.confirm("Dit vervangt alle gegevens in de database door die uit de back-up. Doorgaan?", abort=True)
    app = current_app._get_current_object()
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(app, Path(source))
    except backup.BackupError as error:
        raise click.ClickException(f"Terugzetten mislukt: {error}") from error
    click.echo("Back-up teruggezet.")


@click.command("demo-code")
@click.option("--email", default="facilitator@demo.fieldlab.example", show_default=True)
@with_appcontext
def demo_code_command(email):
    """Print the current two-factor code of a demo account (demo accounts only)."""
    user = User.by_email(email)
    if user is None or not is_demo_account(user.email) or not user.has_two_factor:
        raise click.ClickException("Alleen voor demo-accounts met tweestapsverificatie.")
    click.echo(pyotp.TOTP(user.totp_secret).now())
