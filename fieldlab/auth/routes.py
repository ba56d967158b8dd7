from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from fieldlab.auth import services
from fieldlab.auth.forms import (
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    UserInviteForm,
    UserRolesForm,
)
from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import can
from fieldlab.extensions import db, limiter
from fieldlab.forms import EmptyForm
from fieldlab.organisations.services import organisation_choices
from fieldlab.web import is_safe_next, redirect_after_post

bp = Blueprint("auth", __name__)


def require(action: str, obj=None) -> None:
    """403 for a page the user's roles do not open; object pages use 404 instead (see callers)."""
    if not can(current_user, action, obj):
        abort(403)


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=request.remote_addr or "")
        except services.LoginThrottled:
            db.session.commit()
            form.password.errors.append(_("Te veel mislukte pogingen. Wacht een kwartier en probeer het dan opnieuw."))
            return render_template("auth/login.html", form=form), 429
        db.session.commit()
        if user is None:
            form.password.errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
            return render_template("auth/login.html", form=form), 422
        session.clear()  # a fresh session at login: no fixation
        login_user(user, remember=form.remember.data)
        return redirect(next_url if is_safe_next(next_url) else url_for("home.index"), code=303)
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/uitloggen")
@login_required
def logout():
    services.logout(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_REQUESTS"], methods=["POST"])
def forgot_password():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("Als er een account bij dit e-mailadres hoort, ontvangt u binnen enkele minuten een e-mail "
                "met een link om een nieuw wachtwoord te kiezen."), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


def _set_password_page(token: str, purpose: str, template: str):
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE" if purpose == "reset" else "INVITATION_MAX_AGE"]
    try:
        user = services.user_for_token(token, purpose, max_age_seconds=int(max_age.total_seconds()))
    except services.InvalidToken:
        return render_template("auth/link_invalid.html", purpose=purpose), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data, purpose=purpose)
        db.session.commit()
        flash(_("Uw wachtwoord is ingesteld. Log in met uw e-mailadres en het nieuwe wachtwoord."), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template(template, form=form, user=user), 422 if form.errors else 200


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token):
    return _set_password_page(token, "reset", "auth/reset_password.html")


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    return _set_password_page(token, "invite", "auth/accept_invitation.html")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()
    language_form = LanguageForm(locale=current_user.locale)
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.current_password.data):
            form.current_password.errors.append(_("Uw huidige wachtwoord klopt niet."))
        else:
            user = current_user._get_current_object()
            services.change_password(user, form.password.data)
            db.session.commit()
            # Every other session ends; this browser logs in again with the new token.
            login_user(user)
            flash(_("Uw wachtwoord is gewijzigd. U bent op andere apparaten uitgelogd."), "success")
            return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", form=form, language_form=language_form), \
        422 if form.errors else 200


@bp.post("/taal")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    next_url = request.form.get("next")
    return redirect(next_url if is_safe_next(next_url) else url_for("home.index"), code=303)


# --- Accounts, for facilitators --------------------------------------------------------------

@bp.get("/accounts")
@login_required
def users():
    require("users.manage")
    people = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("auth/users.html", people=people)


@bp.route("/accounts/uitnodigen", methods=["GET", "POST"])
@login_required
def invite():
    require("users.manage")
    form = UserInviteForm(organisation_choices=organisation_choices())
    if form.validate_on_submit():
        invitee = services.Invitee(
            name=form.name.data, email=form.email.data,
            organisation_id=form.organisation_id.data or None, roles=[Role(r) for r in form.roles.data],
        )
        user = services.invite_user(invitee, by=current_user)
        db.session.commit()
        flash(_("%(name)s is uitgenodigd. De uitnodiging staat bij de uitgaande berichten.", name=user.name),
              "success")
        return redirect_after_post("auth.user_detail", user_id=user.id)
    return render_template("auth/invite.html", form=form), 422 if form.errors else 200


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id):
    require("users.manage")
    person = db.get_or_404(User, user_id)
    form = UserRolesForm(roles=[role.value for role in person.roles])
    if form.validate_on_submit():
        if person.id == current_user.id and Role.FACILITATOR.value not in form.roles.data:
            form.roles.errors.append(_("U kunt uw eigen facilitatorrol niet intrekken. Vraag een andere facilitator."))
        else:
            services.change_roles(person, [Role(r) for r in form.roles.data], by=current_user)
            db.session.commit()
            flash(_("De rollen van %(name)s zijn opgeslagen.", name=person.name), "success")
            return redirect_after_post("auth.user_detail", user_id=person.id)
    return render_template("auth/user_detail.html", person=person, form=form, button_form=EmptyForm()), \
        422 if form.errors else 200


@bp.post("/accounts/<int:user_id>/actief")
@login_required
def toggle_active(user_id):
    require("users.manage")
    person = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        if person.id == current_user.id:
            flash(_("U kunt uw eigen account niet deactiveren."), "error")
        else:
            services.set_active(person, not person.active, by=current_user)
            db.session.commit()
            flash(_("%(name)s is gedeactiveerd en wordt bij de volgende klik uitgelogd.", name=person.name)
                  if not person.active else _("%(name)s is weer actief.", name=person.name), "success")
    return redirect_after_post("auth.user_detail", user_id=person.id)


@bp.post("/accounts/<int:user_id>/uitnodiging-opnieuw")
@login_required
def resend_invitation(user_id):
    require("users.manage")
    person = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit() and not person.has_password and person.active:
        from fieldlab.timeutil import utcnow

        services.send_invitation(person, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("De uitnodiging is opnieuw verstuurd."), "success")
    return redirect_after_post("auth.user_detail", user_id=person.id)
