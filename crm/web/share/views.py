"""The prospect's recommendation page and its visit request, and an agent's calendar feed:
no login, the token is the key (crm.leads.recommend, crm.leads.agenda)."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.formatting import from_local
from crm.i18n import ui_language
from crm.inputs.fields import database_id, given, options
from crm.leads import agenda as agenda_service
from crm.leads import recommend
from crm.listings import images, inventory
from crm.models import Listing, Recommendation, VisitRequest
from crm.models.types import utcnow
from crm.web.share import bp
from crm.web.share.forms import VisitRequestForm


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    user = agenda_service.user_for_feed(token) or abort(404)
    body = agenda_service.feed(user, urlsplit(current_app.config["CRM_BASE_URL"]).hostname or "crm")
    return Response(body, mimetype="text/calendar", headers={
        "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer",
        "Content-Disposition": 'inline; filename="changfang.ics"'})


# --- the prospect's page ------------------------------------------------------------------

def _seen_cookie(rec: Recommendation) -> str:
    return f"cf_seen_{rec.id}"


def _live(token: str) -> Recommendation:
    rec = recommend.by_token(token)
    if rec is None:
        abort(404)
    if not rec.is_live():
        abort(410)
    return rec


def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.errorhandler(410)
def gone(_error):
    return _private(Response(render_template("share/gone.html"), status=410))


@bp.errorhandler(429)
def too_many(error):
    headers = {k: v for k, v in error.get_headers() if k == "Retry-After"}
    rec = recommend.by_token(request.view_args.get("token", "")) if request.view_args else None
    if rec is None or not rec.is_live():
        return render_template("error.html", code=429), 429, headers
    form = _request_form(rec)
    response = _render_share(rec, form, 429, limited=_("Several requests were sent from here "
                                                       "in a short time. Please try again in a "
                                                       "few minutes; what you typed is kept."))
    response.headers.update(headers)
    return response


def _request_form(rec: Recommendation, formdata=None) -> VisitRequestForm:
    form = VisitRequestForm(formdata=formdata) if formdata is not None else VisitRequestForm()
    form.listing_ids.choices = options((x.id, x.title) for x in _offered(rec))
    return form


def _offered(rec: Recommendation) -> list[Listing]:
    """What the page still shows and may be booked: not what was let or sold since."""
    return [x for x in rec.listings if inventory.is_offered(x)]


def _render_share(rec: Recommendation, form: VisitRequestForm, status: int = 200, **extra):
    shown = _offered(rec)
    covers = images.covers([x.id for x in shown])
    cards = []
    for x in shown:
        label, query = inventory.place(x, ui_language())
        cards.append({"listing": x, "place": label, "map_url": inventory.map_link(query),
                      "cover": covers.get(x.id)})
    html = render_template("share/page.html", rec=rec, token=(request.view_args or {})["token"],
                           agent=rec.agent, cards=cards, form=form,
                           open_booking=status != 200 or request.args.get("book") == "1",
                           requested=_requested(rec), **extra)
    return _private(Response(html, status=status))


def _requested(rec: Recommendation) -> VisitRequest | bool:
    """The request just sent from this page, to repeat its time; only this page's own."""
    asked = database_id(request.args.get("requested"))
    if asked is None:
        return False
    found = db.session.scalar(select(VisitRequest).where(
        VisitRequest.id == asked, VisitRequest.recommendation_id == rec.id))
    return found or True


@bp.route("/r/<token>")
def page(token: str):
    rec = _live(token)
    form = _request_form(rec)
    form.listing_ids.data = [x.id for x in _offered(rec)]
    response = _render_share(rec, form)
    cookie = _seen_cookie(rec)
    # Staff looking at the page (a preview) is not the prospect opening it; one browser
    # counts once per window: a cookie that holds only when it was counted, nothing about who.
    window = timedelta(minutes=current_app.config["CRM_RECOMMENDATION_OPEN_WINDOW_MINUTES"])
    now = utcnow()
    seen = request.cookies.get(cookie, "")
    recent = seen.isdigit() and now.timestamp() - int(seen) < window.total_seconds()
    # A HEAD (a link preview's probe) is not someone reading the page.
    if (request.method == "GET" and not current_user.is_authenticated and not recent
            and recommend.record_open(rec, now)):
        response.set_cookie(cookie, str(int(now.timestamp())),
                            max_age=int(window.total_seconds()), path=f"/r/{token}",
                            httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/r/<token>/visit", methods=["POST"])
def request_visit(token: str):
    rec = _live(token)
    form = _request_form(rec, request.form)
    if form.validate_on_submit():
        chosen = {x.id: x for x in _offered(rec)}
        asked = recommend.request_visit(
            rec, from_local(given(form.preferred_date.data), given(form.preferred_time.data)),
            [chosen[i] for i in form.listing_ids.data or [] if i in chosen], form.note.data or "")
        return redirect(url_for("share.page", token=token, requested=asked.id) + "#book")
    return _render_share(rec, form, 422)
