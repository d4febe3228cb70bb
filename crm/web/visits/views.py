"""Recommendations sent to a prospect, site visits (看厂) and the agenda: staff pages, each
view asking crm.access. What a prospect or a calendar app opens by token is crm/web/share."""
from zoneinfo import ZoneInfo

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import access
from crm.extensions import db
from crm.formatting import from_local, local_time, today_local
from crm.inputs.fields import SelectChoice, database_id, given, options
from crm.leads import agenda as agenda_service
from crm.leads import recommend, visits
from crm.listings import inventory
from crm.models import Lead, Listing, Recommendation, SiteVisit, User, VisitRequest
from crm.models.types import utcnow
from crm.web.pages import form_page
from crm.web.qr import svg_response
from crm.web.visits import bp
from crm.web.visits.forms import SiteVisitForm, feedback_form


def _workable_lead(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id) or abort(404)
    if not access.can_work(current_user, lead):
        abort(403)
    return lead


def _back(lead_id: int, anchor: str = "send") -> str:
    return url_for("agent.lead_detail", lead_id=lead_id) + f"#{anchor}"


# --- sending ----------------------------------------------------------------------------

@bp.route("/agent/leads/<int:lead_id>/recommendations", methods=["POST"])
@login_required
def send(lead_id: int):
    lead = _workable_lead(lead_id)
    ids = [i for v in request.form.getlist("listing_ids") if (i := database_id(v)) is not None]
    listings = inventory.offered_listings(ids, limit=recommend.MAX_LISTINGS * 2)
    if not listings:
        flash(_("Please tick the listings to send."), "error")
        return redirect(_back(lead.id))
    rec = recommend.send(lead, current_user, listings)
    flash(ngettext("%(num)d listing sent: copy the link or show the QR code to the prospect.",
                   "%(num)d listings sent: copy the link or show the QR code to the prospect.",
                   len(rec.listings)), "success")
    return redirect(_back(lead.id, f"rec-{rec.id}"))


def _own_recommendation(rec_id: int) -> Recommendation:
    rec = db.session.get(Recommendation, rec_id) or abort(404)
    if not access.can_work(current_user, rec.lead):
        abort(403)
    return rec


@bp.route("/agent/recommendations/<int:rec_id>/revoke", methods=["POST"])
@login_required
def revoke(rec_id: int):
    rec = _own_recommendation(rec_id)
    if recommend.revoke(rec, current_user):
        flash(_("The link no longer opens."), "success")
    return redirect(_back(rec.lead_id))


@bp.route("/agent/recommendations/<int:rec_id>/qr.svg")
@login_required
def qr(rec_id: int):
    rec = _own_recommendation(rec_id)
    token = recommend.link_token(rec) or abort(404)
    return svg_response(url_for("share.page", token=token, _external=True),
                        f"recommendation-{rec.id}.svg")


@bp.app_template_global()
def recommendation_link(rec) -> str | None:
    token = recommend.link_token(rec)
    return url_for("share.page", token=token, _external=True) if token else None


# --- site visits ----------------------------------------------------------------------

def _visit_form(lead: Lead, formdata=None) -> SiteVisitForm:
    form = SiteVisitForm(formdata=formdata) if formdata is not None else SiteVisitForm()
    offer = visits.candidates(lead, current_user._get_current_object())
    form.listing_ids.choices = options((x.id, f"#{x.id} {x.title}") for x in offer.listings)
    form.attendee_ids.choices = options((u.id, u.name) for u in offer.attendees)
    return form


@bp.route("/agent/leads/<int:lead_id>/visits/new", methods=["GET", "POST"])
@login_required
def new_visit(lead_id: int):
    lead = _workable_lead(lead_id)
    form = _visit_form(lead, request.form if request.method == "POST" else None)
    asked = None
    request_id = database_id(request.values.get("request_id") or request.args.get("request", ""))
    if request_id is not None:
        asked = db.session.get(VisitRequest, request_id)
        if asked is None or asked.lead_id != lead.id:
            asked = None
    if request.method == "GET":
        form.attendee_ids.data = [lead.assigned_to_id or current_user.id]
        form.duration.data = 90
        if asked is not None:  # prefilled from what the prospect asked for
            local = asked.preferred_at.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"]))
            form.day.data, form.start.data = local.date(), local.time().replace(second=0)
            form.listing_ids.data = [x.id for x in asked.listings]
            form.request_id.data = str(asked.id)
        else:
            picked = inventory.offered(database_id(request.args.get("listing", "")))
            offered: list[SelectChoice] = list(form.listing_ids.choices or [])  # from options()
            if picked is not None and picked.id not in {c.value for c in offered}:
                offered[:0] = options([(picked.id, f"#{picked.id} {picked.title}")])
                form.listing_ids.choices = offered
            form.listing_ids.data = [picked.id] if picked is not None else \
                [c.value for c in offered[:3]]
    if form.validate_on_submit():
        listing_ids, attendee_ids = form.listing_ids.data or [], form.attendee_ids.data or []
        chosen = {x.id: x for x in db.session.scalars(
            select(Listing).where(Listing.id.in_(listing_ids)))}
        people = {u.id: u for u in db.session.scalars(
            select(User).where(User.id.in_(attendee_ids)))}
        plan = visits.Plan(starts_at=from_local(given(form.day.data), given(form.start.data)),
                           duration_minutes=form.duration.data,
                           meeting_point=form.meeting_point.data or "", map_url=form.map_url.data or "",
                           listings=[chosen[i] for i in listing_ids if i in chosen],
                           attendees=[people[i] for i in attendee_ids if i in people])
        visit = visits.schedule(lead, current_user, plan, request=asked)
        flash(_("Site visit scheduled for %(when)s.", when=local_time(visit.starts_at)), "success")
        return redirect(_back(lead.id, f"visit-{visit.id}"))
    return form_page("visits/visit_form.html", lead=lead, form=form, asked=asked)


def _workable_visit(visit_id: int) -> SiteVisit:
    visit = db.session.get(SiteVisit, visit_id) or abort(404)
    if not access.can_work(current_user, visit.lead):
        abort(403)
    return visit


@bp.route("/agent/visits/<int:visit_id>", methods=["GET", "POST"])
@login_required
def visit_detail(visit_id: int):
    """The visit, and after it the prospect's verdict on each listing seen."""
    visit = _workable_visit(visit_id)
    form = feedback_form(visit.stops, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        verdicts: dict[int, tuple[bool | None, str]] = {}
        for stop in visit.stops:
            value = getattr(form, f"liked_{stop.listing_id}").data
            verdicts[stop.listing_id] = ({"1": True, "0": False}.get(value),
                                         getattr(form, f"reason_{stop.listing_id}").data or "")
        if visits.record_feedback(visit, current_user, verdicts):
            flash(_("Feedback saved; the visit is done."), "success")
        else:
            flash(_("Feedback is for a visit that has taken place."), "error")
        return redirect(_back(visit.lead_id, f"visit-{visit.id}"))
    if request.method == "GET":
        for stop in visit.stops:
            if stop.liked is not None:
                getattr(form, f"liked_{stop.listing_id}").data = "1" if stop.liked else "0"
            getattr(form, f"reason_{stop.listing_id}").data = stop.reason
    return form_page("visits/visit.html", visit=visit, form=form)


@bp.route("/agent/visits/<int:visit_id>/cancel", methods=["POST"])
@login_required
def cancel_visit(visit_id: int):
    visit = _workable_visit(visit_id)
    if visits.cancel(visit, current_user):
        flash(_("Site visit cancelled."), "success")
    return redirect(_back(visit.lead_id, f"visit-{visit.id}"))


# --- agenda ------------------------------------------------------------------------------

@bp.route("/agent/agenda")
@login_required
def agenda():
    today = today_local()
    week = request.args.get("view") == "week"
    days = agenda_service.agenda(current_user, today, 7 if week else 1)
    return render_template("visits/agenda.html", days=days, week=week, today=today,
                           team=current_user.is_manager, now=utcnow())
