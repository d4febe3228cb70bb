"""A lead's repeat inquiries on its page: the figures a repeat stated otherwise, taken over in
one tap ("采用"), or the repeat made a need of its own ("作为新需求"): crm.intake.needs.
Only who may work the lead (crm.access.can_work); CSRF as every POST (CSRFProtect)."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import access
from crm.extensions import db
from crm.intake import needs
from crm.models import InquiryRepeat, Lead
from crm.web.agent import bp


def _lead_and_repeat(lead_id: int, repeat_id: int) -> tuple[Lead, InquiryRepeat]:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    if not access.can_work(current_user, lead):
        abort(403)
    repeat = db.session.get(InquiryRepeat, repeat_id)
    if repeat is None or repeat.original_lead_id != lead.id:
        abort(404)  # a repeat of another lead: not told whether it exists
    return lead, repeat


@bp.route("/leads/<int:lead_id>/repeats/<int:repeat_id>/adopt", methods=["POST"])
@login_required
def adopt_repeat(lead_id: int, repeat_id: int):
    lead, repeat = _lead_and_repeat(lead_id, repeat_id)
    if lead.erased_at is not None:
        abort(404)
    offered = [d[0] for d in needs.differences(lead, repeat)]
    asked = offered if request.form.get("field") == "all" else request.form.getlist("field")
    fields = [f for f in asked if f in offered]
    if fields:
        needs.adopt(lead, repeat.id, fields, current_user._get_current_object())
        flash(_("Taken over from the repeat inquiry."), "success")
    return redirect(url_for("agent.lead_detail", lead_id=lead.id, _anchor="repeats"))


@bp.route("/leads/<int:lead_id>/repeats/<int:repeat_id>/split", methods=["POST"])
@login_required
def split_repeat(lead_id: int, repeat_id: int):
    lead, repeat = _lead_and_repeat(lead_id, repeat_id)
    if lead.erased_at is not None:
        abort(404)  # its repeats are erased with it: nothing to make a need of
    need = needs.split_repeat(repeat, current_user._get_current_object())
    flash(_("The repeat inquiry is now need %(reference)s.", reference=need.reference), "success")
    return redirect(url_for("agent.lead_detail", lead_id=need.id))


@bp.app_template_global()
def repeat_differences(lead: Lead, repeat: InquiryRepeat) -> list[tuple[str, str, str, str]]:
    return needs.differences(lead, repeat)


@bp.app_template_global()
def repeat_splits(rows) -> dict[int, tuple[int, str]]:
    """The needs the page's repeats became, in one statement for the page."""
    return needs.split_of(r.id for r in rows)
