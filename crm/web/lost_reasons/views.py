"""Managers keep the list of reasons a lead can be lost for."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, ValidationError

from crm.access import Role, role_required
from crm.extensions import db
from crm.inputs.fields import clean, max_length
from crm.models import Lead, LostReason
from crm.privacy import audit

bp = Blueprint("lost_reasons", __name__, url_prefix="/manage/lost-reasons")


class LostReasonForm(FlaskForm):
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please name the reason.")), max_length(80)])
    position = IntegerField(_l("Order"), default=100, validators=[
        NumberRange(0, 100000, _l("Please enter a number between 0 and 100000."))])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, reason: LostReason | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reason = reason

    def validate_name(self, field):
        clash = db.session.scalars(select(LostReason).where(
            func.lower(LostReason.name) == field.data.lower())).first()
        if clash is not None and (self._reason is None or clash.id != self._reason.id):
            raise ValidationError(_l("This reason exists already."))


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def index():
    form = LostReasonForm()
    if form.validate_on_submit():
        reason = LostReason(name=form.name.data, position=form.position.data, active=form.active.data)
        db.session.add(reason)
        db.session.flush()
        audit.record(current_user, "lost_reason_create", "lost_reason", reason.id, None,
                     {"name": reason.name})
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lost_reasons.index"))
    reasons = list(db.session.scalars(select(LostReason).order_by(LostReason.position, LostReason.name)))
    used = dict(db.session.execute(select(Lead.lost_reason_id, func.count())
                                   .where(Lead.lost_reason_id.is_not(None))
                                   .group_by(Lead.lost_reason_id)).all())
    status = 422 if request.method == "POST" else 200
    return render_template("lost_reasons/index.html", form=form, reasons=reasons, used=used), status


@bp.route("/<int:reason_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit(reason_id: int):
    reason = db.session.get(LostReason, reason_id) or abort(404)
    form = LostReasonForm(reason, obj=reason)
    if form.validate_on_submit():
        old, new = audit.diff(reason, ("name", "position", "active"),
                              {"name": form.name.data, "position": form.position.data,
                               "active": form.active.data})
        form.populate_obj(reason)
        if new:
            audit.record(current_user, "lost_reason_edit", "lost_reason", reason.id, old, new)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lost_reasons.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("lost_reasons/edit.html", form=form, reason=reason), status


@bp.route("/<int:reason_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def delete(reason_id: int):
    reason = db.session.get(LostReason, reason_id) or abort(404)
    in_use = db.session.scalar(select(func.count()).select_from(Lead)
                               .where(Lead.lost_reason_id == reason.id))
    if in_use:
        # Reports count old losses by reason: retire it instead of deleting it.
        reason.active = False
        flash(_("This reason is used by leads, so it was retired instead of deleted."), "success")
    else:
        db.session.delete(reason)
        flash(_("Deleted."), "success")
    audit.record(current_user, "lost_reason_delete", "lost_reason", reason_id,
                 {"name": reason.name}, {"retired": bool(in_use)})
    db.session.commit()
    return redirect(url_for("lost_reasons.index"))
