"""Stage probabilities (赢单概率): a manager edits their team's, an admin any team's and the
defaults. The rule (which row a need reads) lives in crm.leads.pipeline; who may edit which
team's in crm.access."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import InputRequired, ValidationError

from crm import access
from crm.access import Role, role_required
from crm.choices import OPEN_STATUSES, STATUSES
from crm.extensions import db
from crm.inputs.fields import LooseDecimalField, database_id
from crm.inputs.forms import Form
from crm.inputs.pipeline import PCT_MAX, PCT_MIN, StageProbabilities
from crm.leads import pipeline
from crm.models import Team
from crm.web.manage import bp
from crm.web.pages import form_page

WHOLE_PERCENT = _l("Please give a whole percent from 0 to 100, e.g. 25.")


class PercentField(LooseDecimalField):
    """A percent as typed: 25, 25%, ２５％, 二十五."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, maximum=Decimal(10**6), **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().rstrip("%％").strip()]
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.data is not None and (self.data != self.data.to_integral_value()
                                      or not PCT_MIN <= self.data <= PCT_MAX):
            raise ValidationError(WHOLE_PERCENT)


def _pct(stage: str) -> PercentField:
    return PercentField(STATUSES[stage], validators=[InputRequired(WHOLE_PERCENT)],
                        render_kw={"inputmode": "numeric", "autocomplete": "off", "class": "narrow"})


class StageProbabilityForm(Form):
    new = _pct("new")
    contacted = _pct("contacted")
    qualified = _pct("qualified")
    site_visit = _pct("site_visit")
    negotiating = _pct("negotiating")

    def stage_fields(self):
        return [self[stage] for stage in OPEN_STATUSES]

    def to_input(self) -> StageProbabilities:
        return StageProbabilities(tuple((stage, int(self[stage].data)) for stage in OPEN_STATUSES))


def _team_asked() -> Team | None:
    """The team in ?team= (none: the defaults, an admin's only); 403 for a team the user may
    not edit, 404 for no such team."""
    raw = request.args.get("team", "")
    team_id = database_id(raw)
    if raw and team_id is None:
        abort(404)
    if team_id is None and not current_user.is_admin:
        team_id = current_user.team_id  # a manager lands on their own team
    team = db.session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and team is None:
        abort(404)
    if not access.can_edit_stage_probabilities(current_user, team_id):
        abort(403)
    return team


@bp.route("/stage-probabilities", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def stage_probabilities():
    team = _team_asked()
    team_id = team.id if team is not None else None
    current = pipeline.probabilities(team_id)
    if request.method == "GET":
        form = StageProbabilityForm(formdata=None, data={p.stage: p.pct for p in current})
    else:
        form = StageProbabilityForm()
    if form.validate_on_submit():
        changed = pipeline.save_probabilities(team_id, form.to_input(), current_user)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("manage.stage_probabilities", team=team_id or None))
    teams = access.visible_teams(current_user) if current_user.is_admin else []
    return form_page("manage/stage_probabilities.html", form=form, team=team, teams=teams,
                     current={p.stage: p for p in current})
