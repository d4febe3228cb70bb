from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from crm.auth.decorators import role_required
from crm.models.types import utcnow
from crm.services import reports

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


@bp.route("/")
@role_required("manager")
def index():
    tz = current_app.config["CRM_TIMEZONE"]
    today = utcnow().astimezone(ZoneInfo(tz)).date()
    start = _date_arg("from", today - timedelta(days=29))
    end = _date_arg("to", today)
    if end < start:
        start, end = end, start
    lo, hi = reports.local_day_bounds(start, end, tz)
    by_status = reports.leads_by_status(lo, hi)
    return render_template("reports/index.html", start=start, end=end, by_status=by_status,
                           total=sum(by_status.values()), by_agent=reports.leads_by_agent(lo, hi))
