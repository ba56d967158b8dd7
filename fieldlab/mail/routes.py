from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from fieldlab.access import require
from fieldlab.extensions import db
from fieldlab.forms import EmptyForm
from fieldlab.mail import sender, services
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.paging import requested_page
from fieldlab.timeutil import utcnow
from fieldlab.web import redirect_after_post

bp = Blueprint("mail", __name__, url_prefix="/uitgaande-berichten")


@bp.get("/")
@login_required
def outbox():
    require("outbox.view")
    status = request.args.get("status") or None
    if status not in {s.value for s in MessageStatus}:
        status = None
    page = services.outbox_page(status=status, page=requested_page())
    return render_template("mail/outbox.html", page=page, status=status, statuses=list(MessageStatus),
                           smtp_configured=sender.smtp_configured())


@bp.get("/<int:message_id>")
@login_required
def message_detail(message_id):
    require("outbox.view")
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("mail/message.html", message=message, form=EmptyForm(),
                           body=services.without_signed_links(message.body_text))


@bp.post("/<int:message_id>/opnieuw")
@login_required
def retry(message_id):
    require("outbox.view")
    message = db.get_or_404(OutboxMessage, message_id)
    if EmptyForm().validate_on_submit() and message.status == MessageStatus.FAILED:
        sender.retry_now(message, now=utcnow())
        db.session.commit()
        flash(_("Het bericht staat weer in de wachtrij."), "success")
    return redirect_after_post("mail.message_detail", message_id=message.id)
