"""Managers keep the list of reasons a lead can be lost for."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, ValidationError

from crm.access import Role, role_required
from crm.extensions import db
from crm.inputs.fields import clean, given, max_length
from crm.inputs.forms import Form
from crm.leads import lost_reasons
from crm.models import LostReason
from crm.web.lost_reasons import bp
from crm.web.pages import form_page


class LostReasonForm(Form):
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please name the reason.")), max_length(80)])
    position = IntegerField(_l("Order"), default=100, validators=[
        NumberRange(0, 100000, _l("Please enter a number between 0 and 100000."))])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, reason: LostReason | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reason = reason

    def validate_name(self, field):
        if lost_reasons.name_taken(field.data, self._reason):
            raise ValidationError(_l("This reason exists already."))


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def index():
    form = LostReasonForm()
    if form.validate_on_submit():
        lost_reasons.create(given(form.name.data), given(form.position.data), form.active.data, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("lost_reasons.index"))
    reasons, used = lost_reasons.all_with_use()
    return form_page("lost_reasons/index.html", form=form, reasons=reasons, used=used)


@bp.route("/<int:reason_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit(reason_id: int):
    reason = db.session.get(LostReason, reason_id) or abort(404)
    form = LostReasonForm(reason, obj=reason)
    if form.validate_on_submit():
        lost_reasons.update(reason, {"name": form.name.data, "position": form.position.data,
                                     "active": form.active.data}, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("lost_reasons.index"))
    return form_page("lost_reasons/edit.html", form=form, reason=reason)


@bp.route("/<int:reason_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def delete(reason_id: int):
    reason = db.session.get(LostReason, reason_id) or abort(404)
    if lost_reasons.remove(reason, current_user):
        flash(_("This reason is used by leads, so it was retired instead of deleted."), "success")
    else:
        flash(_("Deleted."), "success")
    return redirect(url_for("lost_reasons.index"))
