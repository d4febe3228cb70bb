"""A need's expected value and close date (预计金额, 预计成交日期), edited on the lead page
(templates/agent/_pipeline.html) and, when a value was refused, on a page of its own that
keeps what was typed. The rules live in crm.leads.pipeline."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.validators import Optional

from crm import access
from crm.extensions import db
from crm.inputs.dates import DayField
from crm.inputs.fields import LooseDecimalField
from crm.inputs.forms import Form
from crm.inputs.pipeline import Expectation
from crm.leads import pipeline
from crm.models import Lead
from crm.web.agent import bp
from crm.web.pages import form_page


class ExpectationForm(Form):
    expected_value = LooseDecimalField(_l("Expected value (10k yuan)"), kind="money",
                                       maximum=Decimal("100000000"), validators=[Optional()])
    expected_close_on = DayField(_l("Expected close date"), validators=[Optional()])

    def to_input(self) -> Expectation:
        return Expectation(self.expected_value.data, self.expected_close_on.data)


def expectation_form(lead: Lead) -> ExpectationForm:
    """The lead page's form, filled with what is stored (the include calls it)."""
    return ExpectationForm(formdata=None, data={"expected_value": lead.expected_value_wan,
                                                "expected_close_on": lead.expected_close_on})


@bp.app_template_global("pipeline_panel")
def pipeline_panel(lead: Lead) -> dict | None:
    """What templates/agent/_pipeline.html shows: the form for whoever may work an open
    need, else the figures alone (None: nothing to show)."""
    if not lead.is_open and lead.expected_value_wan is None and lead.expected_close_on is None:
        return None
    editable = lead.is_open and access.can_work(current_user, lead)
    return {"form": expectation_form(lead) if editable else None, "lead": lead,
            "suggested": pipeline.suggested_value(lead) if editable else None}


def _workable_open_lead(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None or lead.erased_at is not None:
        abort(404)
    if not access.can_work(current_user, lead):
        abort(403)
    return lead


@bp.route("/leads/<int:lead_id>/pipeline", methods=["GET", "POST"])
@login_required
def edit_expectation(lead_id: int):
    lead = _workable_open_lead(lead_id)
    if not lead.is_open:
        flash(_("Only an open need has an expected value and close date."), "error")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id))
    form = expectation_form(lead) if request.method == "GET" else ExpectationForm()
    if form.validate_on_submit():
        changed = pipeline.set_expectation(lead, form.to_input(), current_user)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("agent.lead_detail", lead_id=lead.id) + "#pipeline")
    return form_page("agent/pipeline_edit.html", lead=lead, form=form)
