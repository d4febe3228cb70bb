"""The agent's workspace: my leads, a lead's page, follow-ups and stage moves."""
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.agent.forms import AgentInquiryForm, FollowUpForm, StatusForm
from crm.extensions import db
from crm.inputs.text import search_key
from crm.models import Activity, InquiryRepeat, Lead
from crm.services import followup, queue, routing, stages
from crm.services.intake import capture_inquiry

bp = Blueprint("agent", __name__, url_prefix="/agent")


def _decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    try:
        micros, lead_id = raw.split("_")
        return datetime.fromtimestamp(int(micros) / 1e6, timezone.utc), int(lead_id)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


def _encode_cursor(lead: Lead) -> str:
    return f"{int(lead.created_at.timestamp() * 1e6)}_{lead.id}"


@bp.route("/leads")
@login_required
def my_leads():
    per_page = current_app.config["LEADS_PER_PAGE"]
    stmt = select(Lead).options(joinedload(Lead.assigned_to))
    if not current_user.is_manager:
        stmt = stmt.where(Lead.assigned_to_id == current_user.id)
    stmt = stmt.where(Lead.status != "spam")
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        # Typed in traditional or simplified, full- or half-width: search_text is all simplified.
        digits = "".join(ch for ch in search_key(q) if ch.isdigit())
        matches = [Lead.search_text.contains(search_key(q), autoescape=True),
                   Lead.reference == q.upper()]
        if len(digits) >= 4:
            matches.append(Lead.mobile_e164.contains(digits, autoescape=True))
        stmt = stmt.where(or_(*matches))
    cursor = _decode_cursor(request.args.get("after"))
    if cursor:
        created, lead_id = cursor
        stmt = stmt.where(or_(Lead.created_at < created,
                              and_(Lead.created_at == created, Lead.id < lead_id)))
    # Keyset pagination: newest first, one row more than a page tells if there is a next one.
    leads = list(db.session.scalars(
        stmt.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(per_page + 1)))
    next_cursor = _encode_cursor(leads[per_page - 1]) if len(leads) > per_page else None
    first_page = cursor is None and not q
    return render_template("agent/leads.html", leads=leads[:per_page], next_cursor=next_cursor,
                           q=q, attention=queue.needs_attention(current_user) if first_page else [],
                           pool=queue.team_pool(current_user) if first_page else [],
                           is_big=routing.is_big_project)


@bp.route("/leads/<int:lead_id>/claim", methods=["POST"])
@login_required
def claim(lead_id: int):
    if routing.claim(lead_id, current_user):
        flash(_("The lead is yours."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=lead_id))
    flash(_("Someone else took this lead first."), "error")
    return redirect(url_for("agent.my_leads"))


@bp.route("/leads/new", methods=["GET", "POST"])
@login_required
def new_lead():
    """A lead from the 400 hotline or WeChat, typed in by an agent (no spam check)."""
    form = AgentInquiryForm()
    if form.validate_on_submit():
        outcome = capture_inquiry(form, channel=form.channel.data, check_spam=False)
        if outcome.status == "duplicate":
            flash(_("This prospect asked before: recorded as a repeat inquiry on lead %(ref)s, "
                    "and its owner is told.", ref=outcome.reference), "success")
        else:
            flash(_("Lead %(ref)s saved and sent to routing.", ref=outcome.reference), "success")
        if current_user.is_manager:
            return redirect(url_for("agent.lead_detail", lead_id=outcome.lead_id))
        return redirect(url_for("agent.my_leads"))
    return render_template("agent/new_lead.html", form=form), (
        422 if request.method == "POST" else 200)


def _lead_for_current_user(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id, options=[
        selectinload(Lead.activities).joinedload(Activity.author), joinedload(Lead.assigned_to),
        selectinload(Lead.repeats).joinedload(InquiryRepeat.source_site),
        joinedload(Lead.source_site)])
    if lead is None:
        abort(404)
    if not current_user.is_manager and current_user.id not in (lead.assigned_to_id,
                                                                lead.escalated_to_id):
        abort(403)
    return lead


@bp.route("/leads/<int:lead_id>")
@login_required
def lead_detail(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    return render_template("agent/lead.html", lead=lead, follow_up_form=FollowUpForm(),
                           status_form=StatusForm(stages.allowed_next(lead.status)))


@bp.route("/leads/<int:lead_id>/follow-ups", methods=["POST"])
@login_required
def add_follow_up(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        followup.log_follow_up(lead, current_user, form.kind.data, form.body.data,
                               form.next_follow_up.data)
        flash(_("Follow-up saved."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return render_template("agent/lead.html", lead=lead, follow_up_form=form,
                           status_form=StatusForm(stages.allowed_next(lead.status))), 422


@bp.route("/leads/<int:lead_id>/status", methods=["POST"])
@login_required
def change_status(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    form = StatusForm(stages.allowed_next(lead.status))
    if form.validate_on_submit():
        try:
            followup.change_status(lead, current_user, form.status.data, form.lost_reason.data)
        except followup.StageError as exc:
            form.status.errors.append(exc.message)
        else:
            flash(_("Stage updated."), "success")
            return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return render_template("agent/lead.html", lead=lead, follow_up_form=FollowUpForm(),
                           status_form=form), 422
