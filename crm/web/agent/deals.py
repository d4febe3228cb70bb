"""A need's deal: the won form (the only way to won), its edit, and a contract that fell
through. Thin: the form gives a DealInput, crm.leads.deals does the rest."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import access
from crm.choices import OFFERED_LISTING_STATUSES
from crm.extensions import db
from crm.leads import deals
from crm.listings import inventory
from crm.models import Deal, Lead, Listing, Role, User
from crm.web.agent import bp
from crm.web.agent.deal_forms import DealForm, FallThroughForm, deal_form_data
from crm.web.pages import form_page


def _workable(lead: Lead | None) -> Lead:
    if lead is None:
        abort(404)
    if not access.can_work(current_user, lead):
        abort(403)
    return lead


def _listings(lead: Lead, deal: Deal | None = None) -> list[Listing]:
    """What the need may have taken: the listings it was sent or visited, the one it asked
    about (still on offer), and the deal's own."""
    found = {link.listing_id: link.listing for link in inventory.links_of_lead(lead)}
    if lead.listing_id and lead.listing_id not in found:
        asked = db.session.get(Listing, lead.listing_id)
        if asked is not None:
            found[asked.id] = asked
    kept = deal.listing_id if deal is not None else None
    return [x for x in found.values() if x.status in OFFERED_LISTING_STATUSES or x.id == kept] \
        + ([deal.listing] if deal is not None and deal.listing is not None
           and deal.listing_id not in found else [])


def _people(lead: Lead) -> list[User]:
    """Who may share the commission: the active staff of the need's team, and its owner."""
    team_id = lead.team_id or (lead.assigned_to.team_id if lead.assigned_to else None)
    rows = list(db.session.scalars(select(User).where(
        User.active.is_(True), User.role.in_((Role.AGENT, Role.MANAGER)),
        User.team_id == team_id).order_by(User.name))) if team_id else []
    if lead.assigned_to is not None and lead.assigned_to not in rows:
        rows.append(lead.assigned_to)
    return rows


def _form(lead: Lead, deal: Deal | None = None) -> DealForm:
    extra = {"data": deal_form_data(deal)} if deal is not None and request.method == "GET" else {}
    return DealForm(_listings(lead, deal), lead.deal_type, _people(lead), **extra)


def _preview(form: DealForm, lead: Lead):
    """The computed figures of a valid form, or None with the refusal next to its field."""
    try:
        return deals.figures(form.to_input(), lead.deal_type)
    except deals.DealError as exc:
        form.error_on(exc.field, exc.message)
        return None


@bp.route("/leads/<int:lead_id>/won", methods=["GET", "POST"])
@login_required
def sign_deal(lead_id: int):
    lead = _workable(db.session.get(Lead, lead_id))
    existing = deals.signed_deal(lead)
    if existing is not None:
        return redirect(url_for("agent.edit_deal", deal_id=existing.id))
    form = _form(lead)
    figures = None
    if form.validate_on_submit():
        figures = _preview(form, lead)
        if figures is not None and not request.form.get("preview"):
            try:
                deals.sign(lead, form.to_input(), current_user)
            except deals.DealError as exc:
                db.session.rollback()
                form.error_on(exc.field, exc.message)
            else:
                flash(_("Deal recorded: the need is won."), "success")
                return redirect(url_for("agent.lead_detail", lead_id=lead.id) + "#deal")
    refused = request.method == "POST" and (figures is None or not request.form.get("preview"))
    return form_page("agent/deal_form.html", refused=refused, lead=lead, form=form,
                     figures=figures, deal=None)


def _deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        abort(404)
    _workable(deal.lead)
    return deal


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_deal(deal_id: int):
    deal = _deal(deal_id)
    lead = deal.lead
    if deal.status != "signed":
        abort(404)
    form = _form(lead, deal)
    figures = None
    if form.validate_on_submit():
        figures = _preview(form, lead)
        if figures is not None and not request.form.get("preview"):
            try:
                changed = deals.edit(deal, form.to_input(), current_user)
            except deals.DealError as exc:
                db.session.rollback()
                form.error_on(exc.field, exc.message)
            else:
                flash(_("Saved.") if changed else _("Nothing changed."), "success")
                return redirect(url_for("agent.lead_detail", lead_id=lead.id) + "#deal")
    refused = request.method == "POST" and (figures is None or not request.form.get("preview"))
    return form_page("agent/deal_form.html", refused=refused, lead=lead, form=form,
                     figures=figures, deal=deal, fall_form=FallThroughForm())


@bp.route("/deals/<int:deal_id>/fall-through", methods=["POST"])
@login_required
def fall_through(deal_id: int):
    deal = _deal(deal_id)
    form = FallThroughForm()
    if form.validate_on_submit():
        try:
            deals.fall_through(deal, current_user, form.reason.data or "")
        except deals.DealError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The contract fell through: the need is negotiating again."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=deal.lead_id) + "#deal")
    lead = deal.lead
    terms = DealForm(_listings(lead, deal), lead.deal_type, _people(lead), formdata=None,
                     data=deal_form_data(deal))
    return form_page("agent/deal_form.html", lead=lead, form=terms, figures=None, deal=deal,
                     fall_form=form)
