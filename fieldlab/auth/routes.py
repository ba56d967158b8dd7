import secrets
from collections.abc import Callable

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from fieldlab.access import require
from fieldlab.auth import services, twofactor
from fieldlab.auth.forms import (
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    SecondStepForm,
    TwoFactorConfirmForm,
    TwoFactorSetupForm,
    UserInviteForm,
    UserRolesForm,
)
from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import can
from fieldlab.extensions import db, limiter
from fieldlab.forms import EmptyForm
from fieldlab.paging import requested_page
from fieldlab.timeutil import utcnow
from fieldlab.web import is_safe_next, redirect_after_post

bp = Blueprint("auth", __name__)


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
        except services.AccountDeactivated:
            db.session.commit()
            return render_template("auth/deactivated.html", contact=services.hub_contact()), 403
        if user is None:
            db.session.commit()
            form.password.errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
            return render_template("auth/login.html", form=form), 422
        session.clear()  # a fresh session at login: no fixation
        if user.has_two_factor:
            db.session.commit()
            session["pending_login"] = {
                "user": user.get_id(), "remember": bool(form.remember.data),
                "next": next_url if is_safe_next(next_url) else None, "at": int(utcnow().timestamp()),
                # This sign-in attempt's own limit of wrong codes is counted under this key.
                "attempt": secrets.token_urlsafe(12),
            }
            return redirect(url_for("auth.second_step"), code=303)
        return _finish_login(user, remember=form.remember.data, next_url=next_url)
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _finish_login(user, *, remember: bool, next_url: str | None):
    services.complete_login(user)
    db.session.commit()
    session.pop("pending_login", None)
    login_user(user, remember=remember)
    return redirect(next_url if is_safe_next(next_url) else url_for("home.index"), code=303)


def _pending_login_user():
    pending = session.get("pending_login")
    if not pending:
        return None, None
    too_old = utcnow().timestamp() - pending.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]
    user = None if too_old else services.load_user_from_cookie_id(pending.get("user", ""))
    if user is None:
        session.pop("pending_login", None)
    return user, pending


@bp.route("/inloggen/code", methods=["GET", "POST"])
def second_step():
    """After a correct password: the code from the authenticator app (or a recovery code)."""
    user, pending = _pending_login_user()
    if user is None:
        flash(_("Log opnieuw in: de tweede stap duurde te lang of is niet begonnen."), "error")
        return redirect(url_for("auth.login"), code=303)
    form = SecondStepForm()
    if form.validate_on_submit():
        try:
            outcome = services.check_second_step(user, form.code.data, attempt=pending.get("attempt", ""))
        except services.CodeThrottled as throttled:
            db.session.commit()
            if throttled.per_attempt:
                # This attempt is over: the password is asked again, which starts a new one.
                session.pop("pending_login", None)
                form.code.errors.append(_("Vijf keer een onjuiste code. Log opnieuw in met uw wachtwoord "
                                          "en vul daarna de code in die de app op dat moment toont."))
            else:
                form.code.errors.append(_("Te veel onjuiste codes voor dit account. Wacht een uur en probeer "
                                          "het dan opnieuw."))
            return render_template("auth/second_step.html", form=form), 429
        if outcome is twofactor.CodeCheck.ACCEPTED:
            return _finish_login(user, remember=pending.get("remember", False), next_url=pending.get("next"))
        db.session.commit()
        form.code.errors.append(_code_refusal(form.code.data, outcome))
    return render_template("auth/second_step.html", form=form), 422 if form.errors else 200


def _code_refusal(code: str, outcome) -> str:
    """What is wrong with the code typed at the second step, said about the kind of code it is:
    a recovery code is never "the next code from the app"."""
    if not twofactor.looks_like_app_code(code):
        return _("Deze herstelcode klopt niet of is al gebruikt. Elke herstelcode werkt één keer; "
                 "gebruik een andere van uw lijst, of de code uit de app.")
    if outcome is twofactor.CodeCheck.USED_BEFORE:
        return _("Deze code is al gebruikt. Wacht tot de app een nieuwe code toont (elke 30 seconden) en vul "
                 "die in.")
    return _("De code uit de app klopt niet of is verlopen. Controleer of u de code voor Fieldlab gebruikt "
             "en vul de code in die de app nu toont.")


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
        user = services.reset_password(token, form.password.data, purpose=purpose)
        if purpose == "invite" and not user.has_two_factor:
            # Choosing the password through the invitation proves the mailbox: the person is
            # logged in and lands on their home page (or first sets up two-factor sign-in, where
            # their role requires it: the gate below sends them there). Someone who already has
            # two-factor sign-in still logs in with their code.
            session.clear()
            flash(_("Welkom bij Fieldlab. Uw wachtwoord is ingesteld en u bent ingelogd."), "success")
            first = url_for("auth.two_factor_setup") if twofactor.required_for(user) else None
            return _finish_login(user, remember=False, next_url=first)
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
    return render_template(
        "auth/account.html", form=form, language_form=language_form, confirm_form=TwoFactorConfirmForm(),
        two_factor_required=twofactor.required_for(current_user),
        recovery_codes_left=twofactor.unused_recovery_codes(current_user) if current_user.has_two_factor else 0,
    ), 422 if form.errors else 200


# --- Two-factor sign-in ------------------------------------------------------------------------

ALLOWED_WITHOUT_TWO_FACTOR = {"auth.two_factor_setup", "auth.logout", "auth.set_language", "auth.deactivated",
                              "static"}


def skips_two_factor_gate(view):
    """For a view that checks the login itself before it loads the user (the board refresh's
    cheap path): the gate below leaves it alone, so the view must call `require_two_factor()`
    itself before it shows anything."""
    view.skips_two_factor_gate = True
    return view


@bp.before_app_request
def deactivated_gate():
    """Someone whose account was deactivated while they were logged in: their next click says so
    and whom to contact, once (the session ends here), instead of a login page without a word."""
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or getattr(view, "skips_two_factor_gate", False):
        return None  # the board refresh's cheap path checks `active` in its own query
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if "_user_id" not in session and remember_cookie not in request.cookies:
        return None
    current_user._get_current_object()  # loads the user (services.load_user_from_cookie_id)
    if not g.get("deactivated_session"):
        return None
    session.clear()
    session["_remember"] = "clear"  # Flask-Login deletes the remember cookie too
    session["deactivated"] = True
    target = url_for("auth.deactivated")
    if request.headers.get("HX-Request"):
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.get("/account-gedeactiveerd")
def deactivated():
    """Shown once after the gate above (the session says so); anyone else goes to the login page."""
    if not session.pop("deactivated", False):
        return redirect(url_for("auth.login"))
    return render_template("auth/deactivated.html", contact=services.hub_contact()), 403


@bp.before_app_request
def require_two_factor_gate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "skips_two_factor_gate", False):
        return None
    return require_two_factor()


def require_two_factor():
    """Roles that must use two-factor sign-in get nothing else until they have set it up."""
    if not current_user.is_authenticated or current_user.has_two_factor:
        return None
    if request.endpoint in ALLOWED_WITHOUT_TWO_FACTOR or not twofactor.required_for(current_user):
        return None
    flash(_("Stel eerst tweestapsverificatie in: dat is verplicht voor uw rol."), "error")
    return redirect(url_for("auth.two_factor_setup"), code=303)


@bp.route("/account/tweestapsverificatie", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    if current_user.has_two_factor:
        return redirect(url_for("auth.account"))
    secret = session.get("totp_setup_secret") or twofactor.new_secret()
    session["totp_setup_secret"] = secret
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        codes = twofactor.enable(current_user, secret, form.code.data)
        if codes is not None:
            db.session.commit()
            session.pop("totp_setup_secret", None)
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
        form.code.errors.append(_("Deze code klopt niet. Controleer of de tijd op uw telefoon goed staat "
                                  "en probeer de volgende code."))
    uri = twofactor.provisioning_uri(current_user, secret)
    return render_template(
        "auth/two_factor_setup.html", form=form, secret=twofactor.format_secret(secret),
        qr_svg=twofactor.qr_code_svg(uri, _("QR-code voor uw authenticator-app")),
    ), 422 if form.errors else 200


@bp.post("/account/tweestapsverificatie/herstelcodes")
@login_required
def regenerate_recovery_codes():
    form = TwoFactorConfirmForm()
    if form.validate_on_submit() and twofactor.verify(current_user, form.code.data):
        codes = twofactor.regenerate_recovery_codes(current_user)
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes, first_time=False)
    db.session.rollback()
    flash(_("De code klopt niet; er zijn geen nieuwe herstelcodes gemaakt."), "error")
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/tweestapsverificatie/uit")
@login_required
def two_factor_disable():
    form = TwoFactorConfirmForm()
    if twofactor.required_for(current_user):
        flash(_("Voor uw rol is tweestapsverificatie verplicht; u kunt haar niet uitzetten."), "error")
    elif form.validate_on_submit() and twofactor.verify(current_user, form.code.data):
        twofactor.disable(current_user, by=current_user)
        db.session.commit()
        flash(_("Tweestapsverificatie staat uit."), "success")
    else:
        db.session.rollback()
        flash(_("De code klopt niet; tweestapsverificatie staat nog aan."), "error")
    return redirect(url_for("auth.account"), code=303)


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
    search = (request.args.get("zoek") or "").strip()[:100]
    return render_template("auth/users.html", people=services.people_page(search, page=requested_page()),
                           search=search)


@bp.route("/accounts/uitnodigen", methods=["GET", "POST"])
@login_required
def invite():
    require("users.manage")
    form = UserInviteForm(may_add_organisation=can(current_user, "organisations.add"))
    if form.is_submitted() and form.asks_which_organisation():
        return render_template("auth/invite.html", form=form)
    if form.validate_on_submit():
        organisation = form.picked_organisation(by=current_user)  # adds the gemeente named for a kind
        invitee = services.Invitee(
            name=form.name.data, email=form.email.data,
            organisation_id=organisation.id if organisation else None, roles=[Role(r) for r in form.roles.data],
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
    """Roles are saved in two steps without JavaScript: the first POST shows what changes (from
    which roles to which, and that the person is mailed), the second (`bevestigd=ja`) saves."""
    require("users.manage")
    person = services.account_or_404(user_id)
    form = UserRolesForm(roles=[role.value for role in person.roles])
    if form.validate_on_submit():
        wanted = sorted({Role(r) for r in form.roles.data}, key=lambda role: list(Role).index(role))
        if person.id == current_user.id and Role.FACILITATOR not in wanted:
            form.roles.errors.append(_("U kunt uw eigen facilitatorrol niet intrekken. Vraag een andere facilitator."))
        elif set(wanted) == person.roles:
            flash(_("De rollen van %(name)s waren al zo; er is niets gewijzigd.", name=person.name), "success")
            return redirect_after_post("auth.user_detail", user_id=person.id)
        elif request.form.get("bevestigd") != "ja":
            return render_template("auth/confirm_roles.html", person=person, form=form, wanted=wanted,
                                   before=sorted(person.roles, key=lambda role: list(Role).index(role)))
        else:
            services.change_roles(person, wanted, by=current_user)
            db.session.commit()
            flash(_("De rollen van %(name)s zijn opgeslagen; %(name)s krijgt hierover een e-mail.",
                    name=person.name), "success")
            return redirect_after_post("auth.user_detail", user_id=person.id)
    return render_template("auth/user_detail.html", person=person, form=form, button_form=EmptyForm()), \
        422 if form.errors else 200


def _confirmed_account_change(user_id: int, action: str, *, change: Callable[[User], object],
                              done: Callable[[User], str], allowed: Callable[[User], bool] = lambda person: True,
                              refusal: str | None = None):
    """A change to someone's account that asks first: GET shows what `action` does
    (auth/confirm_action.html, whose button posts back here); only that POST makes the `change`
    (the service audits and mails), commits and flashes `done`. Where `allowed` says no, both go
    back to the account, saying `refusal` when there is one."""
    require("users.manage")
    person = services.account_or_404(user_id)
    if not allowed(person):
        if refusal:
            flash(refusal, "error")
        return redirect_after_post("auth.user_detail", user_id=person.id)
    if request.method == "GET":
        return render_template("auth/confirm_action.html", person=person, action=action, form=EmptyForm(),
                               contact=services.hub_contact())
    if EmptyForm().validate_on_submit():
        change(person)
        db.session.commit()
        flash(done(person), "success")
    return redirect_after_post("auth.user_detail", user_id=person.id)


@bp.route("/accounts/<int:user_id>/deactiveren", methods=["GET", "POST"])
@login_required
def deactivate(user_id):
    return _confirmed_account_change(
        user_id, "deactivate", change=lambda person: services.set_active(person, False, by=current_user),
        done=lambda person: _("%(name)s is gedeactiveerd, wordt bij de volgende klik uitgelogd en krijgt hierover "
                              "een e-mail.", name=person.name),
        allowed=lambda person: person.id != current_user.id, refusal=_("U kunt uw eigen account niet deactiveren."))


@bp.route("/accounts/<int:user_id>/activeren", methods=["GET", "POST"])
@login_required
def reactivate(user_id):
    return _confirmed_account_change(
        user_id, "reactivate", change=lambda person: services.set_active(person, True, by=current_user),
        done=lambda person: _("%(name)s is weer actief en krijgt hierover een e-mail.", name=person.name))


@bp.route("/accounts/<int:user_id>/tweestapsverificatie-herstellen", methods=["GET", "POST"])
@login_required
def reset_two_factor(user_id):
    """For someone who lost their phone and their recovery codes: they set it up again at next login."""
    return _confirmed_account_change(
        user_id, "reset_two_factor", change=lambda person: services.reset_two_factor(person, by=current_user),
        done=lambda person: _("De tweestapsverificatie van %(name)s is uitgezet; bij de volgende keer inloggen "
                              "stelt %(name)s haar opnieuw in. %(name)s krijgt hierover een e-mail.", name=person.name),
        allowed=lambda person: person.has_two_factor and person.id != current_user.id)


@bp.post("/accounts/<int:user_id>/uitnodiging-opnieuw")
@login_required
def resend_invitation(user_id):
    require("users.manage")
    person = services.account_or_404(user_id)
    if EmptyForm().validate_on_submit() and not person.has_password and person.active:
        services.send_invitation(person, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("De uitnodiging is opnieuw verstuurd."), "success")
    return redirect_after_post("auth.user_detail", user_id=person.id)
