"""The agent's workspace: the queue, a lead's page, follow-ups, stages, listings, exports."""
from datetime import UTC, datetime, timedelta

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm import access, reads
from crm.access import role_required
from crm.extensions import db
from crm.formatting import from_local, today_local
from crm.inputs import building, deal_terms
from crm.inputs.fields import database_id, given
from crm.intake import lookup, message, repeats
from crm.intake.capture import capture_by_agent
from crm.intake.channel import pasted_channel
from crm.leads import (
    contacts,
    deals,
    edit,
    export,
    followup,
    merge,
    queue,
    recommend,
    scoring,
    stages,
    timeline,
    visits,
)
from crm.listings import inventory, matching
from crm.models import Lead, Listing, LostReason, Role, Team, User
from crm.models.types import utcnow
from crm.privacy import audit
from crm.routing import engine
from crm.web.agent import bp
from crm.web.agent.deal_forms import revision_labels
from crm.web.agent.forms import (
    AgentInquiryForm,
    FollowUpForm,
    LeadEditForm,
    MergeForm,
    QueueFilterForm,
    ReassignForm,
    StatusForm,
    lead_edit_data,
)
from crm.web.pages import form_page

# --- the queue -------------------------------------------------------------------------

def _scope_agents() -> list[User]:
    """Active agents and managers the current user manages (reassign targets, filters);
    read once per request (the queue's filter and reassign forms both list them)."""
    if not current_user.is_manager:
        return []
    if "scope_agents" not in g:
        g.scope_agents = list(db.session.scalars(
            select(User).where(User.role.in_((Role.AGENT, Role.MANAGER)),
                               User.active.is_(True), access.managed_users_clause(current_user))
            .order_by(User.name)))
    return g.scope_agents


def _filter_form() -> tuple[QueueFilterForm, str, queue.Filters | None]:
    """The queue's form, tab and filters; filters None when a filter is invalid: the page
    then shows the error and no rows and an export is refused, never the whole scope."""
    teams = list(db.session.scalars(select(Team).order_by(Team.name))) \
        if current_user.is_admin else []
    form = QueueFilterForm(_scope_agents(), teams, formdata=request.args)
    tab = request.args.get("tab") or ("all" if current_user.is_manager else "mine")
    if tab not in queue.TABS or (tab == "all" and not current_user.is_manager):
        tab = "mine"
    form.tab.data = tab
    if not form.validate():
        return form, tab, None
    return form, tab, queue.Filters(
        status=form.status.data or "", need=form.need.data or "", deal=form.deal.data or "",
        region=form.region.data or "", to_confirm=bool(form.to_confirm.data),
        industry=form.industry.data or "",
        source=form.source.data or "", date_from=form.date_from.data,
        date_to=form.date_to.data, score_min=form.score_min.data, q=form.q.data or "",
        agent_id=form.agent_id.data or None, team_id=form.team_id.data or None)


def _query_args(exclude=("after", "tab")) -> dict:
    return {k: v for k, v in request.args.items() if k not in exclude and v}


@bp.route("/leads")
@login_required
def my_leads():
    form, tab, filters = _filter_form()
    per_page = current_app.config["LEADS_PER_PAGE"]
    after = request.args.get("after")
    with reads.searching(filters.q if filters is not None else None):
        return _queue_page(form, tab, filters, after, per_page)


def _queue_page(form, tab: str, filters: queue.Filters | None, after: str | None,
                per_page: int):
    result = queue.page(current_user, tab, filters, after, per_page) if filters \
        else queue.Page([], None)
    first_page = not after
    return render_template(
        "agent/leads.html", leads=result.leads, next_cursor=result.next_cursor, tab=tab,
        form=form, counts=queue.tab_counts(current_user, filters) if filters else {},
        count_cap=queue.count_cap(filters or queue.Filters()),
        query_args=_query_args(),
        attention=queue.needs_attention(current_user) if first_page and tab == "mine" else [],
        pool=queue.team_pool(current_user, limit=5) if first_page and tab == "mine" else [],
        opened_at=int(utcnow().timestamp()), is_big=engine.is_big_project,
        reassign_form=ReassignForm(_scope_agents()) if current_user.is_manager else None,
        mobile_for=lambda lead: access.mobile_for(current_user, lead),
        poll_seconds=current_app.config["CRM_QUEUE_POLL_SECONDS"]), 200 if filters else 400


@bp.route("/leads/poll")
@login_required
def poll():
    """A small fragment the queue fetches every few seconds (htmx): new assignments."""
    try:
        since = datetime.fromtimestamp(int(request.args.get("since", "")), UTC)
    except (ValueError, OverflowError, OSError):
        since = utcnow() - timedelta(minutes=1)
    fresh = queue.new_assignments(current_user, since)
    # New leads change the tab badges too: sent along (htmx out-of-band), for the same
    # filters as the page the agent is looking at (none while a filter is invalid).
    _form, _tab, filters = _filter_form()
    return render_template("agent/_poll.html", fresh=fresh, since=int(since.timestamp()),
                           counts=queue.tab_counts(current_user, filters)
                           if fresh and filters else {},
                           count_cap=queue.count_cap(filters or queue.Filters()),
                           query_args=_query_args(exclude=("since", "after")),
                           poll_seconds=current_app.config["CRM_QUEUE_POLL_SECONDS"])


# POST: the export is audited; a link (GET) could be triggered from another site.
@bp.route("/leads/export.<fmt>", methods=["POST"])
@login_required
def export_leads(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    _form, tab, filters = _filter_form()
    if filters is None:
        abort(400)  # an invalid filter never falls back to every lead in scope
    audit.record_access(current_user, "export", "lead_queue", None,
                        {"format": fmt, "tab": tab, "filters": _query_args(exclude=("after",))})
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    # The file is written before the block ends (crm.reads decides where the rows come from).
    with reads.exporting():
        rows = queue.export_rows(current_user, tab, filters)
        data = export.csv_file(rows, current_user) if fmt == "csv" \
            else export.xlsx_file(rows, current_user)
    if fmt == "csv":
        return send_file(data, as_attachment=True,
                         download_name=f"leads-{stamp}.csv", mimetype="text/csv; charset=utf-8")
    return send_file(data, as_attachment=True,
                     download_name=f"leads-{stamp}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/leads/reassign", methods=["POST"])
@role_required(Role.MANAGER)
def bulk_reassign():
    form = ReassignForm(_scope_agents())
    ids = [i for v in request.form.getlist("lead_ids") if (i := database_id(v)) is not None]
    back = request.form.get("back", "")
    back = back if back.startswith("/agent/leads") else url_for("agent.my_leads")
    if not ids:
        flash(_("Please tick the leads to reassign."), "error")
        return redirect(back)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    agent = db.session.get_one(User, given(form.agent_id.data))  # one of the form's choices
    done = engine.reassign_many(ids, agent, form.reason.data or "", current_user)
    flash(_("%(n)d lead(s) reassigned to %(agent)s.", n=len(done.moved), agent=agent.name),
          "success")
    return redirect(back)


@bp.route("/leads/<int:lead_id>/claim", methods=["POST"])
@login_required
def claim(lead_id: int):
    if engine.claim(lead_id, current_user):
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
        routed = form.to_routing.data
        outcome = capture_by_agent(form.to_inquiry(channel=form.channel.data), current_user,
                                   to_routing=routed)
        if outcome.status == "duplicate":
            # 撞单: the prospect is someone's already; say whose instead of a second lead.
            owner = db.session.get_one(Lead, outcome.lead_id).assigned_to
            if owner is not None and owner.id != current_user.id:
                flash(_("%(owner)s already works with this prospect (lead %(ref)s): recorded as "
                        "a repeat inquiry there, and %(owner)s is told.", owner=owner.name,
                        ref=outcome.original_reference), "error")
            else:
                flash(_("This prospect asked before: recorded as a repeat inquiry on lead "
                        "%(ref)s, and its owner is told.", ref=outcome.original_reference),
                      "success")
        elif outcome.held_by is not None:
            # 撞单 on a new need: the contact is another agent's (客户保护期), so is the need.
            holder = db.session.get_one(User, outcome.held_by)
            flash(_("%(owner)s already works with this contact: the new need %(ref)s is "
                    "theirs (client protection period), and %(owner)s is told.",
                    owner=holder.name, ref=outcome.reference), "error")
        elif routed:
            flash(_("Lead %(ref)s saved and sent to routing.", ref=outcome.reference), "success")
        else:
            flash(_("Lead %(ref)s saved; it is yours.", ref=outcome.reference), "success")
        if current_user.is_manager or (outcome.status == "new" and not routed
                                       and outcome.held_by is None):
            return redirect(url_for("agent.lead_detail", lead_id=outcome.lead_id))
        return redirect(url_for("agent.my_leads"))
    return form_page("agent/new_lead.html", form=form)


@bp.route("/leads/new/paste", methods=["POST"])
@login_required
def paste_message():
    """An agent pastes a WeChat message, an SMS or a call note: the entry form comes back
    filled, each field with the words it came from. Nothing is saved until they check it."""
    pasted = (request.form.get("pasted") or "")[:5000]
    form = AgentInquiryForm(formdata=None)
    found = message.read(pasted) if pasted.strip() else {}
    words = message.fill_form(form, pasted, found) if found else {}
    form.channel.data = pasted_channel(pasted)
    if not words:
        flash(_("Nothing could be read from the pasted text; please fill in the form."), "error")
    return render_template("agent/new_lead.html", form=form, pasted=pasted, source_words=words,
                           marked=message.highlighted(pasted, found))


@bp.route("/lookup")
@login_required
def lookup_reference():
    """A prospect on the phone quotes their reference: the lead if the user may see it,
    otherwise a card without contact details and a button to tell the owner."""
    typed = (request.args.get("ref") or "")[:40]
    lead = lookup.by_reference(typed) if typed else None
    if lead is not None and access.can_view(current_user, lead):
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    if lead is not None:
        audit.record_access(current_user, "lookup_card", "lead", lead.id)
    return render_template("agent/lookup.html", typed=typed, lead=lead,
                           masked_wechat=access.mask_text(lead.wechat_id) if lead else "",
                           asked_listing=None), 200 if lead is not None or not typed else 404


@bp.route("/lookup/tell-owner", methods=["POST"])
@login_required
def tell_owner():
    """From the card: the reference again (not a bare id), so nobody can notify the owners
    of leads by counting through ids; limited per user (crm.web.ratelimit)."""
    lead = lookup.by_reference(request.form.get("ref", "")) or abort(404)
    if lookup.tell_owner(lead, current_user):
        flash(_("The owner was told to call the prospect back."), "success")
    else:
        flash(_("Nobody holds this lead yet; it is waiting for routing."), "error")
    return redirect(url_for("agent.my_leads"))


# --- one lead --------------------------------------------------------------------------

def _load(lead_id: int) -> Lead:
    # The lead with its people, rule and reason in one statement, whatever is in the identity
    # map already; its timeline is paged (crm.leads.timeline).
    lead = db.session.get(Lead, lead_id, options=[joinedload(Lead.assigned_to),
        joinedload(Lead.escalated_to), joinedload(Lead.sourced_by), joinedload(Lead.rule),
        joinedload(Lead.lost_reason_ref), joinedload(Lead.source_site)])
    if lead is None:
        abort(404)
    return lead


def _lead_for_current_user(lead_id: int) -> Lead:
    """A lead the user may work on (follow-ups, stages, edits); 403 otherwise."""
    lead = _load(lead_id)
    if not access.can_work(current_user, lead):
        abort(403)
    return lead


def _lost_reasons() -> list[LostReason]:
    return list(db.session.scalars(select(LostReason).where(LostReason.active.is_(True))
                                   .order_by(LostReason.position, LostReason.name)))


def _status_form(lead: Lead, links: list | None = None, signed: bool = False) -> StatusForm:
    """The stage form: won is not among its moves (the deal form is); negotiating asks
    whether to reserve one of the need's listings still available (`links`: the need's
    listing links, when the caller has them)."""
    links = inventory.links_of_lead(lead) if links is None else links
    reservable = [link.listing for link in links if link.listing.status == "available"]
    # Won with a signed deal: it leaves won only by the deal's "contract fell through".
    allowed = () if lead.status == "won" and signed else stages.allowed_next(lead.status)
    return StatusForm(allowed, _lost_reasons(),
                      list({x.id: x for x in reservable}.values()))


def _fit(lead: Lead, can_work: bool) -> dict:
    matches, excluded = matching.fit(lead) if can_work and lead.is_open else ([], [])
    return {"matches": matches, "excluded": excluded}


def _render_lead(lead: Lead, status: int = 200, revealed: bool = False, **forms):
    can_work = access.can_work(current_user, lead)
    links = inventory.links_of_lead(lead)
    deal_section = deals.of_lead(lead)
    context = {
        "lead": lead, "can_work": can_work, "revealed": revealed,
        "can_see_mobile": revealed or access.can_see_mobile(current_user, lead),
        "contact": access.contact_for(current_user, lead, revealed),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "status_form": forms.get("status_form")
        or _status_form(lead, links, signed=deal_section["signed_deal"] is not None),
        "can_sign": "won" in stages.allowed_next(lead.status), **deal_section,
        "deal_terms": deal_terms, "today": today_local(), "deal_labels": revision_labels(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "reassign_form": (forms.get("reassign_form") or ReassignForm(_scope_agents()))
        if access.manages_lead(current_user, lead) else None,
        "score": scoring.compute(lead), "other_needs": contacts.other_needs(current_user, lead),
        "protected_until": repeats.protected_until(lead),
        "asked_again": repeats.history(lead, database_id(request.args.get("repeats_before", ""))),
        "timeline": timeline.page(lead.id, database_id(request.args.get("history_before", ""))),
        **_fit(lead, can_work),
        "requirements": building.stated(lead),
        "links": links,
        "asked_listing": db.session.get(Listing, lead.listing_id) if lead.listing_id else None,
        "recommendations": recommend.of_lead(lead), "visit_requests": recommend.open_requests(lead),
        "site_visits": visits.of_lead(lead), "now": utcnow(),
    }
    hits = inventory.search(request.args.get("listing_q", "")) if can_work else []
    context["send_choices"] = [(x, None, True) for x in hits] + [
        (m.listing, m.score, False) for m in context["matches"] if m.listing not in hits]
    context["recorded"] = {(link.listing_id, link.kind) for link in context["links"]}
    return render_template("agent/lead.html", **context), status


@bp.route("/leads/<int:lead_id>")
@login_required
def lead_detail(lead_id: int):
    lead = _load(lead_id)
    if not access.can_view(current_user, lead):
        abort(403)
    return _render_lead(lead)


@bp.route("/leads/<int:lead_id>/reveal", methods=["POST"])
@login_required
def reveal(lead_id: int):
    lead = _load(lead_id)
    if not access.can_view(current_user, lead):
        abort(403)
    audit.record_access(current_user, "reveal_contact", "lead", lead.id)
    return _render_lead(lead, revealed=True)


@bp.route("/leads/<int:lead_id>/follow-ups", methods=["POST"])
@login_required
def add_follow_up(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        at = (from_local(given(form.next_follow_up.data), form.next_follow_up_time.data)
              if form.next_follow_up_time.data is not None else None)
        followup.log_follow_up(lead, current_user, form.kind.data, form.body.data or "",
                               form.next_follow_up.data, form.outcome.data or None,
                               next_follow_up_at=at)
        flash(_("Follow-up saved."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return _render_lead(lead, 422, follow_up_form=form)


@bp.route("/leads/<int:lead_id>/status", methods=["POST"])
@login_required
def change_status(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    form = _status_form(lead)
    if form.validate_on_submit():
        reserve = (db.session.get(Listing, form.reserve_listing_id.data)
                   if form.reserve_listing_id.data else None)
        try:
            followup.change_status(lead, current_user, form.status.data, form.lost_reason.data,
                                   form.lost_reason_id.data or None, reserve=reserve)
        except followup.StageError as exc:
            target = form.lost_reason_id if form.status.data == "lost" else form.status
            target.errors = list(target.errors) + [exc.message]
        else:
            flash(_("Stage updated."), "success")
            return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    elif "status" in form.errors:
        form.status.errors = [followup.WON_NEEDS_DEAL if form.status.data == "won" else
                              _("A lead cannot move from this stage to the one chosen.")]
    return _render_lead(lead, 422, status_form=form)


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lead(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    if lead.erased_at is not None:
        abort(404)
    if request.method == "GET":
        form = LeadEditForm(data=edit.masked_for(current_user, lead, lead_edit_data(lead)))
    else:
        form = LeadEditForm(formdata=edit.unmasked(current_user, lead, request.form))
    if form.validate_on_submit():
        changed = edit.update_lead(lead, form.to_edit(), current_user)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return form_page("agent/lead_edit.html", lead=lead, form=form)


@bp.route("/leads/<int:lead_id>/merge", methods=["POST"])
@login_required
def merge_lead(lead_id: int):
    lead = _lead_for_current_user(lead_id)
    form = MergeForm()
    if form.validate_on_submit():
        other = db.session.scalars(
            select(Lead).where(Lead.reference == given(form.reference.data).strip().upper())).first()
        if other is None or not access.can_work(current_user, other):
            form.reference.errors = [_("No lead of yours has this reference.")]
        else:
            try:
                merge.merge(lead, other, current_user)
            except merge.MergeError as exc:
                form.reference.errors = [exc.message]
            else:
                flash(_("Merged %(ref)s into this lead.", ref=other.reference), "success")
                return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return _render_lead(lead, 422, merge_form=form)


@bp.route("/leads/<int:lead_id>/reassign", methods=["POST"])
@login_required
def reassign(lead_id: int):
    lead = _load(lead_id)
    if not access.manages_lead(current_user, lead):
        abort(403)
    form = ReassignForm(_scope_agents())
    if form.validate_on_submit():
        agent = db.session.get_one(User, given(form.agent_id.data))  # one of the form's choices
        if engine.reassign_to(lead, agent, form.reason.data or "", current_user):
            flash(_("Reassigned to %(agent)s.", agent=agent.name), "success")
        else:
            flash(_("The lead is already theirs."), "error")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    return _render_lead(lead, 422, reassign_form=form)


@bp.route("/leads/<int:lead_id>/listings/<int:listing_id>/<kind>", methods=["POST"])
@login_required
def link_listing(lead_id: int, listing_id: int, kind: str):
    lead = _lead_for_current_user(lead_id)
    listing = db.session.get(Listing, listing_id) or abort(404)
    if kind not in ("recommended", "site_visit"):
        abort(404)
    if inventory.record_link(lead, listing, kind, current_user):
        flash(_("Recorded."), "success")
    else:
        flash(_("Already recorded."), "success")
    return redirect(url_for("agent.lead_detail", lead_id=lead.id) + "#listings")
