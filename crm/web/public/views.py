"""What a prospect sees: the inquiry form (standalone and embedded), thank-you pages, privacy."""
from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer

from crm.extensions import csrf
from crm.inputs.fields import database_id
from crm.inputs.phone import contact_preference
from crm.intake import sites, spam
from crm.intake.capture import capture_inquiry, understood
from crm.intake.forms import InquiryForm, labelled
from crm.intake.inquiry import Inquiry
from crm.listings import inventory
from crm.observability import metrics
from crm.web.pages import form_page
from crm.web.public import bp
from crm.web.security import allow_framing_by, local_target

_ATTRIBUTION = ("utm_source", "utm_medium", "utm_campaign")


@bp.errorhandler(429)
def too_many(error):
    """The rate limit stopped a submission: the form comes back with what was typed and
    says when to try again, instead of a bare error page."""
    headers = {k: v for k, v in error.get_headers() if k == "Retry-After"}
    minutes = max(1, -(-int(headers.get("Retry-After", "60")) // 60))
    limited = ngettext("Several inquiries were sent from here in a short time. Please try "
                       "again in %(num)d minute; what you typed is kept below.",
                       "Several inquiries were sent from here in a short time. Please try "
                       "again in %(num)d minutes; what you typed is kept below.", minutes)
    if request.endpoint == "public.inquiry":
        return render_template("public/inquiry.html", form=InquiryForm(),
                               limited=limited), 429, headers
    if request.endpoint == "public.embed_inquiry":
        site = _embed_site()
        return render_template("public/embed.html", form=InquiryForm(meta={"csrf": False}),
                               site=site, limited=limited), 429, headers
    return render_template("error.html", code=429), 429, headers


@bp.route("/")
def index():
    return redirect(url_for("public.inquiry"))


def _prefill(form: InquiryForm):
    """Attribution comes with the link (or the embed snippet) that opened the form."""
    form.page_url.data = request.args.get("page") or request.referrer or ""
    form.referrer.data = request.args.get("ref") or request.referrer or ""
    for name in _ATTRIBUTION:
        getattr(form, name).data = request.args.get(name, "")
    # Only a listing that exists: a hidden field the prospect cannot correct must not fail.
    listing = database_id(request.args.get("listing"))
    form.listing_id.data = str(listing) if listing and inventory.exists(listing) else ""
    form.started.data = spam.new_fill_token()
    asked = inventory.offered(int(form.listing_id.data)) if form.listing_id.data else None
    if asked is not None:  # the need is that listing's, until the prospect says otherwise
        form.deal_type.data = asked.deal_type
        form.property_type.data = asked.property_type
        form.region_code.data = asked.region_code
        if asked.region_code:   # the picker ranks the listing's province first
            form.region_code.render_kw = {**form.region_code.render_kw,
                                          "data-region-near": asked.region_code}
    return asked


def _asked_about(form: InquiryForm):
    """The listing a refused form was about, to name it again above the form."""
    return inventory.offered(form.listing) if form.listing else None


@bp.route("/inquiry", methods=["GET", "POST"])
def inquiry():
    form = InquiryForm(keep_unread_figures=True)
    asked = _prefill(form) if request.method == "GET" else None
    if form.validate_on_submit():
        inquiry = form.to_inquiry(channel="web")
        outcome = capture_inquiry(inquiry, bot_traps=True)
        # The thank-you page is keyed by a signed session value, not a guessable URL.
        session["last_reference"] = outcome.reference
        session["last_understood"] = _echoed(inquiry)
        session["last_need"] = _need(form)
        return redirect(url_for("public.thanks"))
    if request.method == "POST":
        for name in form.errors:
            metrics.REJECTIONS.labels(field=name).inc()
        return render_template("public/inquiry.html", form=form, listing=_asked_about(form)), 422
    return render_template("public/inquiry.html", form=form, listing=asked)


def _echoed(inquiry: Inquiry) -> dict:
    """understood(), for the thank-you page: words kept as typed cut short, since a cookie
    or a URL holds only so much (the lead keeps them whole)."""
    taken = understood(inquiry)
    if "unread" in taken:
        taken["unread"] = {name: words[:40] for name, words in taken["unread"].items()}
    return taken


def _need(form: InquiryForm) -> dict:
    """What the thank-you page repeats of the need beside the figures, and whether the
    prospect is reached on WeChat (no mobile given) rather than called."""
    need = {name: getattr(form, name).data for name in
            ("deal_type", "property_type", "region_code", "region_text")}
    return {**{k: v for k, v in need.items() if v},
            "wechat_only": contact_preference(form.parsed_mobile) == "wechat"}


@bp.route("/inquiry/thanks")
def thanks():
    # Set by this server in the signed session after the inquiry was saved.
    reference = session.get("last_reference")
    if not reference:
        return redirect(url_for("public.inquiry"))
    return render_template("public/thanks.html", reference=reference,
                           understood=session.get("last_understood") or {},
                           unread=labelled((session.get("last_understood") or {}).get("unread")),
                           need=session.get("last_need") or {},
                           sla_minutes=current_app.config["CRM_SLA_MINUTES"])


def _thanks_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="embed-thanks")


def _embed_site():
    site = sites.site_for_public_key(request.args.get("site"))
    if site is None:
        abort(404)
    allow_framing_by(site.origin_list)
    return site


# Inside a partner's iframe the session cookie is third-party (SameSite=Lax: not sent),
# so the embed keeps no session: no session CSRF token (the signed fill-time token and
# the rate limits stand guard) and a signed reference in the thank-you URL.
@bp.route("/embed/inquiry", methods=["GET", "POST"])
@csrf.exempt
def embed_inquiry():
    site = _embed_site()
    form = InquiryForm(meta={"csrf": False}, keep_unread_figures=True)
    asked = _prefill(form) if request.method == "GET" else None
    if form.validate_on_submit():
        inquiry = form.to_inquiry(channel="web", source_site_id=site.id)
        outcome = capture_inquiry(inquiry, bot_traps=True)
        return redirect(url_for("public.embed_thanks", site=site.public_key,
                                t=_thanks_signer().dumps([outcome.reference, _echoed(inquiry),
                                                          _need(form)]),
                                lang=request.args.get("lang")))
    return form_page("public/embed.html", form=form, site=site,
                     listing=asked or _asked_about(form))


@bp.route("/embed/thanks")
def embed_thanks():
    site = _embed_site()
    try:
        signed = _thanks_signer().loads(request.args.get("t", ""), max_age=3600)
    except BadSignature:
        return redirect(url_for("public.embed_inquiry", site=site.public_key))
    # A link signed before the need was added holds two items (or, older, one).
    reference, taken, need = ([*signed, {}, {}][:3] if isinstance(signed, list)
                              else (signed, {}, {}))
    return render_template("public/embed_thanks.html", reference=reference, site=site,
                           understood=taken, need=need,
                           unread=labelled(taken.get("unread") if isinstance(taken, dict) else None),
                           sla_minutes=current_app.config["CRM_SLA_MINUTES"])


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html",
                           version=current_app.config["CRM_PRIVACY_POLICY_VERSION"])


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    # Only paths on this site: never an open redirect.
    target = local_target(request.args.get("next")) or url_for("public.inquiry")
    return redirect(target)
