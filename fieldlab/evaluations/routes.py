from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldlab.access import child_or_404, get_or_404_for, require
from fieldlab.auth.permissions import can
from fieldlab.evaluations import aggregation, answering, charts, defaults, exports, sending, services
from fieldlab.evaluations.forms import EvaluationFormCreateForm, EvaluationSettingsForm, QuestionForm
from fieldlab.evaluations.models import EvaluationForm, EvaluationQuestion
from fieldlab.extensions import db
from fieldlab.forms import EmptyForm
from fieldlab.labs.models import Lab
from fieldlab.paging import requested_page
from fieldlab.timeutil import utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("evaluations", __name__)


@bp.app_template_filter("evaluation_number")
def evaluation_number(value, decimals: int = 1) -> str:
    """A grade or percentage in the reader's notation (8,5 in Dutch, 8.5 in English)."""
    if value is None:
        return "–"
    return format_decimal(value, format="0." + "0" * decimals if decimals else "0")


@bp.app_template_filter("evaluation_text")
def evaluation_text(value: str | None) -> str:
    """A form's stored title, intro or question in the reader's language while it is a default text."""
    return defaults.shown(value)


@bp.app_context_processor
def evaluation_helpers():
    return {"evaluation_status": services.status_label, "evaluation_subject": sending.form_subject}


def _question_or_404(form: EvaluationForm, question_id: int) -> EvaluationQuestion:
    question = child_or_404(db.session.get(EvaluationQuestion, question_id), form.id, "form_id")
    if question.retired:
        abort(404)
    return question


# --- Facilitators: the list, new forms and the builder -------------------------------------------

@bp.get("/evaluaties/")
@login_required
def index():
    require("evaluations.view")
    forms = services.forms_page(current_user, page=requested_page())
    counts = services.counts_by_form(form.id for form in forms)
    return render_template("evaluations/index.html", forms=forms, counts=counts, now=utcnow())


@bp.route("/evaluaties/nieuw", methods=["GET", "POST"])
@login_required
def new_form():
    require("evaluations.manage")
    form = EvaluationFormCreateForm(lab_id=int_arg("lab"))
    form.lab_id.choices = services.lab_choices()
    existing = services.forms_visible_to(current_user)
    form.source.choices = [("default", _("Het standaardformulier"))] + [
        (str(item.id), _("Kopie van: %(title)s (%(name)s)", title=item.title, name=sending.subject_name(item)))
        for item in existing]
    if not form.lab_id.choices:
        flash(_("Er is nog geen Lab. Maak eerst een Lab aan."), "info")
    if form.validate_on_submit():
        lab = db.get_or_404(Lab, form.lab_id.data)
        source = None if form.source.data == "default" else db.session.get(EvaluationForm, int(form.source.data))
        evaluation = services.create_form(lab=lab, source=source, anonymous=form.anonymity.data == "anonymous",
                                          by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Het evaluatieformulier is aangemaakt. Pas het aan en verstuur het."), "success")
        return redirect_after_post("evaluations.edit", form_id=evaluation.id)
    return render_template("evaluations/new.html", form=form), 422 if form.errors else 200


def _builder(evaluation: EvaluationForm, *, settings_form=None, question_form=None, send_error=None, status=200):
    settings_form = settings_form or EvaluationSettingsForm(
        title=evaluation.title, intro=evaluation.intro, deadline_days=evaluation.deadline_days,
        anonymity="anonymous" if evaluation.anonymous else "named")
    question_form = question_form or QuestionForm(formdata=None)
    answered = {question.id for question in evaluation.active_questions if services.question_has_answers(question)}
    return render_template("evaluations/edit.html", evaluation=evaluation, settings_form=settings_form,
                           question_form=question_form, answered=answered, button=EmptyForm(),
                           counts=services.counts_by_form([evaluation.id])[evaluation.id],
                           recipients=len(sending.recipient_ids(evaluation)), now=utcnow(),
                           send_error=send_error), status


@bp.get("/evaluaties/<int:form_id>")
@login_required
def edit(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    return _builder(evaluation)


@bp.post("/evaluaties/<int:form_id>/instellingen")
@login_required
def update_settings(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    settings_form = EvaluationSettingsForm()
    if not settings_form.validate_on_submit():
        return _builder(evaluation, settings_form=settings_form, status=422)
    try:
        services.update_form_settings(evaluation, title=settings_form.title.data, intro=settings_form.intro.data or "",
                                      anonymous=settings_form.anonymity.data == "anonymous",
                                      deadline_days=settings_form.deadline_days.data)
    except services.EvaluationError as error:
        settings_form.anonymity.errors = [str(error)]
        db.session.rollback()
        return _builder(db.session.get(EvaluationForm, form_id), settings_form=settings_form, status=422)
    db.session.commit()
    flash(_("De instellingen zijn opgeslagen."), "success")
    return redirect_after_post("evaluations.edit", form_id=form_id)


def _question_values(question_form: QuestionForm) -> dict:
    return {
        "kind": question_form.kind.data, "text": question_form.text.data,
        "help_text": question_form.help_text.data or "", "required": question_form.required.data,
        "choices": question_form.choice_list(), "is_overall": question_form.is_overall.data,
        "allow_decimal": question_form.allow_decimal.data,
    }


@bp.post("/evaluaties/<int:form_id>/vragen")
@login_required
def add_question(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    question_form = QuestionForm()
    if not question_form.validate_on_submit():
        return _builder(evaluation, question_form=question_form, status=422)
    services.add_question(evaluation, **_question_values(question_form))
    db.session.commit()
    flash(_("De vraag is toegevoegd."), "success")
    return redirect_after_post(url_for("evaluations.edit", form_id=form_id) + "#evaluation-questions")


@bp.route("/evaluaties/<int:form_id>/vragen/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(form_id, question_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    question = _question_or_404(evaluation, question_id)
    question_form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "GET":
        question_form.choices.data = "\n".join(question.choices)
    if question_form.validate_on_submit():
        new = services.edit_question(question, **_question_values(question_form))
        db.session.commit()
        flash(_("De vraag is gewijzigd. Er waren al antwoorden op, dus er is een nieuwe versie gemaakt; de "
                "oude antwoorden blijven bij de oude tekst.") if new is not question else
              _("De vraag is gewijzigd."), "success")
        return redirect_after_post(url_for("evaluations.edit", form_id=form_id) + "#evaluation-questions")
    return render_template("evaluations/question.html", evaluation=evaluation, question=question,
                           question_form=question_form, answered=services.question_has_answers(question)), \
        422 if question_form.errors else 200


@bp.post("/evaluaties/<int:form_id>/vragen/<int:question_id>/<any(omhoog, omlaag):direction>")
@login_required
def move_question(form_id, question_id, direction):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    question = _question_or_404(evaluation, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.move_question(question, "up" if direction == "omhoog" else "down")
    db.session.commit()
    return redirect_after_post(url_for("evaluations.edit", form_id=form_id) + f"#evaluation-question-{question_id}")


@bp.post("/evaluaties/<int:form_id>/vragen/<int:question_id>/verwijderen")
@login_required
def remove_question(form_id, question_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    question = _question_or_404(evaluation, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.remove_question(question)
    db.session.commit()
    flash(_("De vraag is verwijderd."), "success")
    return redirect_after_post(url_for("evaluations.edit", form_id=form_id) + "#evaluation-questions")


@bp.post("/evaluaties/<int:form_id>/versturen")
@login_required
def send_now(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    if request.form.get("bevestigd") != "ja":
        # The requests go out by mail at once and cannot be called back: not on one stray click.
        return _builder(evaluation, send_error=_("Vink aan dat de evaluatie nu verstuurd mag worden."), status=422)
    try:
        requests = sending.create_requests(evaluation, sending.recipient_ids(evaluation), by=current_user,
                                           now=utcnow())
    except services.EvaluationError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect_after_post("evaluations.edit", form_id=form_id)
    db.session.commit()
    flash(ngettext("De evaluatie is verstuurd naar %(num)s persoon.",
                   "De evaluatie is verstuurd naar %(num)s personen.", len(requests)), "success")
    return redirect_after_post("evaluations.edit", form_id=form_id)


@bp.post("/evaluaties/<int:form_id>/sluiten")
@login_required
def close(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    sending.close_form(evaluation, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De evaluatie is gesloten. Er kan niet meer worden geantwoord."), "success")
    return redirect_after_post("evaluations.edit", form_id=form_id)


# --- Results, exports and the annual figures -------------------------------------------------------

@bp.get("/evaluaties/<int:form_id>/resultaten")
@login_required
def results(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.results")
    result = aggregation.form_results(evaluation, now=utcnow())
    histogram = charts.bar_chart([(str(grade), count) for grade, count in result.histogram])
    return render_template("evaluations/results.html", evaluation=evaluation, result=result, histogram=histogram,
                           show_details=can(current_user, "evaluation_form.details", evaluation))


def _export_allowed(form_id: int) -> EvaluationForm:
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.details")
    result = aggregation.form_results(evaluation, now=utcnow())
    if result.responded < aggregation.MIN_GROUP_SIZE or result.comments_held:
        abort(404)
    return evaluation


@bp.get("/evaluaties/<int:form_id>/export.csv")
@login_required
def export_csv(form_id):
    evaluation = _export_allowed(form_id)
    body = exports.export_csv(evaluation, by=current_user, now=utcnow())
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{exports.export_filename(evaluation, "csv")}"'})


@bp.get("/evaluaties/<int:form_id>/export.xlsx")
@login_required
def export_xlsx(form_id):
    evaluation = _export_allowed(form_id)
    body = exports.export_xlsx(evaluation, by=current_user, now=utcnow())
    db.session.commit()
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": f'attachment; filename="{exports.export_filename(evaluation, "xlsx")}"'})


@bp.get("/evaluaties/jaaroverzicht")
@login_required
def annual():
    require("evaluations.manage")
    years = aggregation.annual_figures()
    grade_chart = charts.bar_chart([(str(y.year), y.average) for y in years], maximum=10, decimals=1)
    participant_chart = charts.bar_chart([(str(y.year), y.participants) for y in years])
    return render_template("evaluations/annual.html", years=years, grade_chart=grade_chart,
                           participant_chart=participant_chart)


# --- Answering: by the mailed link (no login) or from the home page ---------------------------------

def _answer_page(evaluation_request, *, action: str):
    form = evaluation_request.form
    now = utcnow()
    if evaluation_request.used:
        return render_template("evaluations/already_received.html", evaluation=form), \
            409 if request.method == "POST" else 200
    if not form.is_open(now):
        return render_template("evaluations/closed.html", evaluation=form), 410
    values, errors = {}, {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        values = {key: value for key, value in request.form.items() if key.startswith("q")}
        try:
            answering.submit_response(evaluation_request, request.form, now=now)
        except services.AlreadyAnswered:
            db.session.rollback()
            return render_template("evaluations/already_received.html", evaluation=form), 409
        except services.FormNotOpen:
            return render_template("evaluations/closed.html", evaluation=form), 410
        except services.AnswersInvalid as error:
            errors = error.errors
        else:
            db.session.commit()
            return redirect(url_for("evaluations.thanks"), code=303)
    return render_template("evaluations/answer.html", evaluation=form, values=values, errors=errors,
                           action=action, subject=sending.subject_name(form)), 422 if errors else 200


@bp.route("/evaluatie/<token>", methods=["GET", "POST"])
def answer_by_link(token):
    try:
        evaluation_request = sending.request_for_token(token)
    except services.InvalidLink:
        return render_template("evaluations/link_invalid.html"), 404
    return _answer_page(evaluation_request, action=url_for("evaluations.answer_by_link", token=token))


@bp.route("/evaluaties/<int:form_id>/invullen", methods=["GET", "POST"])
@login_required
def answer(form_id):
    evaluation = get_or_404_for(EvaluationForm, form_id, "evaluation_form.answer")
    evaluation_request = sending.request_for_user(evaluation, current_user)
    return _answer_page(evaluation_request, action=url_for("evaluations.answer", form_id=form_id))


@bp.get("/evaluatie/bedankt")
def thanks():
    return render_template("evaluations/thanks.html")
