from datetime import date

from flask import Blueprint, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from fieldlab import fragments, reference_cache
from fieldlab.access import child_or_404, get_or_404_for, require
from fieldlab.auth.permissions import can
from fieldlab.extensions import db, htmx
from fieldlab.formats import moment_formatter
from fieldlab.forms import EmptyForm
from fieldlab.labs.alumni import any_alumni
from fieldlab.labs.models import Lab
from fieldlab.organisations.services import organisation_rows
from fieldlab.paging import requested_page
from fieldlab.problems import listing, services
from fieldlab.problems.forms import (
    AcceptForm,
    AnswerForm,
    AttachForm,
    ProblemForm,
    QuestionForm,
    RejectForm,
    WithdrawForm,
)
from fieldlab.problems.models import Problem, ProblemQuestion, ProblemStatus
from fieldlab.problems.services import SUITABILITY_KEYS, ProblemError, StaleProblem
from fieldlab.reads_only import reads_only
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("problems", __name__, url_prefix="/vraagstukken")

RESULTS_TARGET = "problems-results"


def _alumni_available() -> bool:
    """Whether a speedlab could be held today: someone finished an earlier Lab."""
    return any_alumni(today=_today())


def _today() -> date:
    return local(utcnow()).date()


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters_from_request() -> listing.ProblemFilters:
    status = request.args.get("status", "")
    sort = request.args.get("sorteer", "submitted")
    return listing.ProblemFilters(
        q=(request.args.get("q") or "").strip()[:200],
        status=status if status in {s.value for s in ProblemStatus} else "",
        theme=(request.args.get("thema") or "").strip()[:120],
        organisation_id=int_arg("organisatie"),
        submitted_from=_date_arg("van"),
        submitted_to=_date_arg("tot"),
        sort=sort if sort in listing.SORT_COLUMNS else "submitted",
        direction="asc" if request.args.get("richting") == "asc" else "desc",
        page=requested_page(),
    )


@bp.get("/")
@reads_only
@login_required
def index():
    require("problems.list")
    filters = _filters_from_request()
    page = listing.problems_page(current_user, filters)
    context = dict(page=page, filters=filters, row_html=_row_html, head_html=_head_html)
    if htmx.target == RESULTS_TARGET:
        return render_template("problems/_results.html", **context)
    return render_template("problems/index.html", filters_html=_filters_html(filters), **context)


def _row_html(row: listing.ProblemListRow) -> Markup:
    """A row of the list, kept under its values and the language (`fragments`): a row shows only
    what the row holds, so whoever the list query gave this row gets the same HTML, and a changed
    title, status, Lab or open question is another key. Written anew, the rows were a third of
    the page."""
    language = str(get_locale())
    return fragments.cached(("problem-row", language, row), lambda: render_template(
        "problems/_row.html", problem=row, moment=moment_formatter("short")))


def _head_html(filters: listing.ProblemFilters) -> Markup:
    """The sortable column heads: links that keep the filters, the same for everyone with the same
    filters in one language, so kept (`fragments`); with a search text (anyone's free text, part
    of every link) written anew. Written each time, they were a tenth of the list's template."""
    def render() -> Markup:
        return Markup(render_template("problems/_head.html", filters=filters))

    if filters.q:
        return render()
    return fragments.cached(("problems-head", str(get_locale()), request.script_root, filters.status, filters.theme,
                             filters.organisation_id, filters.submitted_from, filters.submitted_to, filters.sort,
                             filters.direction), render)


def _filters_html(filters: listing.ProblemFilters) -> Markup:
    """The search and filter form: the same HTML for everyone with the same filters in one
    language, until a theme or organisation it offers changes. So it is kept with the reference
    lists (`reference_cache`), except with a search text, which is anyone's free text."""
    def render() -> Markup:
        return Markup(render_template("problems/_filters.html", filters=filters, statuses=list(ProblemStatus),
                                      themes=listing.known_themes(), organisations=organisation_rows()))

    if filters.q:
        return render()
    key = ("problems-filters", str(get_locale()), filters.status, filters.theme, filters.organisation_id,
           filters.submitted_from, filters.submitted_to, filters.sort, filters.direction)
    return reference_cache.cached(key, render)


@bp.get("/advies")
@login_required
def advice():
    """The advice block, recomputed while the opdrachtgever answers the six questions."""
    require("problem.submit")
    answers = {key: request.args.get(f"suitability_{key}", "") for key in SUITABILITY_KEYS}
    advice = services.suitability_advice(answers, staff_offered=int_arg("staff_offered", 0),
                                         alumni_available=_alumni_available())
    return render_template("problems/_advice.html", advice=advice)


def _form_page(form: ProblemForm, problem: Problem | None, status: int = 200, stale: dict | None = None):
    answers = {question.key: field.data for question, field in form.suitability_fields}
    advice = services.suitability_advice(answers, staff_offered=form.staff_offered.data or 0
                                         if isinstance(form.staff_offered.data, int) else 0,
                                         alumni_available=_alumni_available())
    return render_template("problems/form.html", form=form, problem=problem, advice=advice,
                           themes=listing.known_themes(), stale=stale, blank_body=None), status


def _blank_form_body() -> Markup:
    """The fields of an empty Nieuw vraagstuk form: the same HTML for every opdrachtgever in a
    language until a reference list (organisations, kinds, themes, expertise) changes, so it is
    kept with those lists (`reference_cache`) and rendered about once per version and language
    instead of twenty fields on every visit. The CSRF token stays outside, in the page. The advice
    of an empty form has no answer to go on yet, so it does not ask whether there are alumni."""
    def render() -> Markup:
        form = ProblemForm()
        answers = {question.key: field.data for question, field in form.suitability_fields}
        return Markup(render_template("problems/_form_body.html", form=form, problem=None,
                                      advice=services.suitability_advice(answers), themes=listing.known_themes()))

    return reference_cache.cached(("blank-problem-form", str(get_locale())), render)


@bp.route("/nieuw", methods=["GET", "POST"])
@reads_only
@login_required
def new():
    require("problem.submit")
    if request.method == "GET":
        return render_template("problems/form.html", form=None, problem=None, stale=None,
                               blank_body=_blank_form_body())
    submitting = request.form.get("action") == "submit"
    form = ProblemForm(submitting=submitting)
    if form.validate_on_submit():
        try:
            problem = services.create_problem(form.to_data(), by=current_user, submit=submitting)
        except ProblemError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return _form_page(form, None, 422)
        db.session.commit()
        flash(_("Uw vraagstuk is ingediend. De Field Lab Hub bekijkt het en laat van zich horen.") if submitting
              else _("Het concept is opgeslagen. U kunt het later aanvullen en indienen."), "success")
        return redirect_after_post("problems.detail", problem_id=problem.id)
    return _form_page(form, None, 422 if form.errors else 200)


def _changes_since(form: ProblemForm, problem: Problem) -> dict:
    """Which fields of the saved (newer) version differ from what this user typed."""
    saved = ProblemForm.for_problem(problem, saved=True)
    changed = []
    for name in ("title", "description", "facts", "concerns", "theme", "staff_offered", "staff_names",
                 "expertise_needed", "desired_start", "confidentiality"):
        if (saved[name].data or "") != (form[name].data or ""):
            changed.append((form[name].label.text, saved[name].data))
    if set(saved.organisation_ids.data or []) != set(form.organisation_ids.data or []):
        changed.append((form.organisation_ids.label.text,
                        ", ".join(organisation.name for organisation in problem.organisations_involved)))
    last = problem.events[-1] if problem.events else None
    return {"changed": changed, "by": last.actor.name if last and last.actor else "", "at": problem.updated_at}


@bp.route("/<int:problem_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(problem_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    if not can(current_user, "problem.edit", problem):
        flash(_("Dit vraagstuk kan niet meer worden gewijzigd."), "error")
        return redirect_after_post("problems.detail", problem_id=problem.id)
    submitting = request.form.get("action") == "submit"
    form = ProblemForm.for_problem(problem, submitting=submitting and problem.status == ProblemStatus.DRAFT)
    if form.validate_on_submit():
        try:
            services.update_problem(problem, form.to_data(), expected_version=form.expected_version,
                                    by=current_user, submit=submitting)
        except StaleProblem as error:
            db.session.rollback()
            problem = db.session.get(Problem, problem_id)
            stale = _changes_since(form, problem)
            stale["message"] = str(error.message)
            form.version.data = str(problem.version)
            return _form_page(form, problem, 409, stale=stale)
        except ProblemError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect_after_post("problems.detail", problem_id=problem_id)
        db.session.commit()
        flash(_("Uw vraagstuk is ingediend.") if submitting and problem.status == ProblemStatus.SUBMITTED
              else _("De wijzigingen zijn opgeslagen."), "success")
        return redirect_after_post("problems.detail", problem_id=problem.id)
    return _form_page(form, problem, 422 if form.errors else 200)


def _detail_page(problem: Problem, status: int = 200, **forms):
    review = can(current_user, "problem.review", problem)
    attach = can(current_user, "problem.attach", problem)
    labs = services.labs_to_attach(today=_today()) if attach else []
    context = dict(
        problem=problem,
        advice=services.suitability_advice(problem.suitability or {}, staff_offered=problem.staff_offered,
                                           alumni_available=_alumni_available()),
        questions_list=services.SUITABILITY_QUESTIONS,
        teams=services.teams_for(problem),
        next_return_day=services.next_return_day(problem, today=_today(), viewer=current_user),
        can_edit=can(current_user, "problem.edit", problem),
        can_withdraw=can(current_user, "problem.withdraw", problem),
        can_answer=can(current_user, "problem.answer", problem),
        can_review=review, can_attach=attach,
        question_form=forms.get("question_form") or QuestionForm(),
        answer_form=forms.get("answer_form") or AnswerForm(),
        answer_question_id=forms.get("answer_question_id"),
        accept_form=forms.get("accept_form") or AcceptForm(version=str(problem.version), prefix="accept",
                                                           formdata=None),
        reject_form=forms.get("reject_form") or RejectForm(version=str(problem.version), prefix="reject",
                                                           formdata=None),
        withdraw_form=WithdrawForm(version=str(problem.version), prefix="withdraw", formdata=None),
        attach_form=AttachForm(labs=labs, lab_id=problem.lab_id or 0),
        submit_form=EmptyForm(),
        missing=services.missing_for_submission(problem),
    )
    return render_template("problems/detail.html", **context), status


@bp.get("/<int:problem_id>")
@login_required
def detail(problem_id):
    return _detail_page(get_or_404_for(Problem, problem_id, "problem.view"))


@bp.post("/<int:problem_id>/indienen")
@login_required
def submit(problem_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    require("problem.edit", problem)
    if EmptyForm().validate_on_submit():
        try:
            services.submit_problem(problem, by=current_user)
        except ProblemError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect_after_post("problems.detail", problem_id=problem_id)
        db.session.commit()
        flash(_("Uw vraagstuk is ingediend. De Field Lab Hub bekijkt het en laat van zich horen."), "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)


@bp.post("/<int:problem_id>/intrekken")
@login_required
def withdraw(problem_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    require("problem.withdraw", problem)
    form = WithdrawForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            services.withdraw_problem(problem, expected_version=form.expected_version, by=current_user)
        except ProblemError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect_after_post("problems.detail", problem_id=problem_id)
        db.session.commit()
        flash(_("Het vraagstuk is ingetrokken."), "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)


@bp.post("/<int:problem_id>/vragen")
@login_required
def ask(problem_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    require("problem.review", problem)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _detail_page(problem, 422, question_form=form)
    services.ask_question(problem, form.question.data, by=current_user)
    db.session.commit()
    flash(_("Uw vraag is gesteld. De opdrachtgever krijgt een e-mail met een link."), "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)


@bp.post("/<int:problem_id>/vragen/<int:question_id>/antwoord")
@login_required
def answer(problem_id, question_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    question = child_or_404(db.session.get(ProblemQuestion, question_id), problem.id, "problem_id")
    require("problem.answer", problem)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _detail_page(problem, 422, answer_form=form, answer_question_id=question.id)
    try:
        services.answer_question(question, form.answer.data, by=current_user)
    except ProblemError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect_after_post("problems.detail", problem_id=problem_id)
    db.session.commit()
    flash(_("Uw antwoord is opgeslagen. De facilitator krijgt bericht."), "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)


def _decision(problem_id: int, form_class, decide, flash_text: str, form_name: str, prefix: str):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    if not can(current_user, "problem.review", problem):
        flash(_("Over dit vraagstuk is al besloten of het is ingetrokken."), "error")
        return redirect_after_post("problems.detail", problem_id=problem_id)
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        return _detail_page(problem, 422, **{form_name: form})
    try:
        decide(problem, reason=form.reason.data or "", expected_version=form.expected_version, by=current_user)
    except ProblemError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect_after_post("problems.detail", problem_id=problem_id)
    db.session.commit()
    flash(flash_text, "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)


@bp.post("/<int:problem_id>/accepteren")
@login_required
def accept(problem_id):
    return _decision(problem_id, AcceptForm, services.accept_problem,
                     _("Het vraagstuk is geaccepteerd. De opdrachtgever krijgt bericht. Koppel het nu aan een Lab."),
                     "accept_form", "accept")


@bp.post("/<int:problem_id>/afwijzen")
@login_required
def reject(problem_id):
    return _decision(problem_id, RejectForm, services.reject_problem,
                     _("Het vraagstuk is afgewezen. De opdrachtgever krijgt bericht."), "reject_form", "reject")


@bp.post("/<int:problem_id>/lab")
@login_required
def attach(problem_id):
    problem = get_or_404_for(Problem, problem_id, "problem.view")
    require("problem.attach", problem)
    form = AttachForm(labs=services.labs_to_attach(today=_today()))
    if form.validate_on_submit():
        lab = db.session.get(Lab, form.lab_id.data) if form.lab_id.data else None
        services.attach_to_lab(problem, lab, by=current_user)
        db.session.commit()
        flash(_("Het vraagstuk is gekoppeld aan %(lab)s.", lab=lab.name) if lab
              else _("Het vraagstuk is losgekoppeld van het Lab."), "success")
    return redirect_after_post("problems.detail", problem_id=problem_id)
