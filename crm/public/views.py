"""What a prospect sees: the inquiry form, its thank-you page, the privacy notice."""
from flask import (Blueprint, abort, current_app, redirect, render_template, request, session,
                   url_for)
from sqlalchemy import select

from crm.extensions import db
from crm.models import Lead
from crm.ops import metrics
from crm.public.forms import InquiryForm
from crm.services.intake import capture_inquiry

bp = Blueprint("public", __name__)

_ATTRIBUTION = ("utm_source", "utm_medium", "utm_campaign")


@bp.route("/")
def index():
    return redirect(url_for("public.inquiry"))


@bp.route("/inquiry", methods=["GET", "POST"])
def inquiry():
    form = InquiryForm()
    if request.method == "GET":
        # Attribution comes with the link that opened the form.
        form.page_url.data = request.args.get("page") or request.referrer or ""
        form.referrer.data = request.args.get("ref") or request.referrer or ""
        for name in _ATTRIBUTION:
            getattr(form, name).data = request.args.get(name, "")
    if form.validate_on_submit():
        lead = capture_inquiry(form, channel="web")
        # The thank-you page is keyed by a signed session value, not a guessable URL.
        session["last_reference"] = lead.reference
        return redirect(url_for("public.thanks"))
    if request.method == "POST":
        for name in form.errors:
            metrics.REJECTIONS.labels(field=name).inc()
        return render_template("public/inquiry.html", form=form), 422
    return render_template("public/inquiry.html", form=form)


@bp.route("/inquiry/thanks")
def thanks():
    reference = session.get("last_reference")
    if not reference:
        return redirect(url_for("public.inquiry"))
    lead = db.session.scalars(select(Lead).where(Lead.reference == reference)).first()
    if lead is None:
        abort(404)
    return render_template("public/thanks.html", lead=lead,
                           sla_minutes=current_app.config["SLA_FIRST_CONTACT_MINUTES"])


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html",
                           version=current_app.config["PRIVACY_POLICY_VERSION"])


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next", "")
    # Only local paths: never an open redirect.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.inquiry")
    return redirect(target)
