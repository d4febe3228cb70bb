"""Places: the picker's search (public: the inquiry form and its embed use it; no personal
data, rate-limited per address) and the parks admins keep under counties."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, ValidationError

from crm import parks, regions
from crm.access import Role, role_required
from crm.extensions import db
from crm.i18n import ui_language
from crm.inputs.fields import RegionField, clean, given, max_length
from crm.inputs.forms import Form
from crm.models import Park
from crm.regions.search import as_json, search
from crm.web.pages import form_page
from crm.web.regions import bp

SEARCH_LIMIT = 12


@bp.route("/regions/search")
def region_search():
    """?q=ks → [{code, name, path, depth}], best first. Cached by browsers for an hour: the
    divisions change yearly and a new park shows up after the cache expires."""
    q = (request.args.get("q") or "")[:40]
    near = regions.canonical((request.args.get("near") or "")[:20])
    locale = ui_language()
    response = jsonify(results=[as_json(r, locale)
                                for r in search(q, limit=SEARCH_LIMIT, near=near)])
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


class ParkForm(Form):
    parent = RegionField(_l("County (or city) it lies in"))
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please name the park.")), max_length(60)])
    name_en = StringField(_l("English name"), filters=[clean], validators=[max_length(120)])
    aliases = StringField(_l("Other names (comma-separated)"), filters=[clean],
                          validators=[max_length(500)],
                          render_kw={"placeholder": _l("e.g. 临港, 临港新区")})
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, park: Park | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._park = park

    def validate_parent(self, field):
        if field.errors:   # a name that is no place: said already
            return
        if self._park is None and not field.data:
            raise ValidationError(_l("Please pick the county the park lies in."))
        if field.data and not parks.can_hold_parks(field.data):
            raise ValidationError(_l("A park lies in a county, city or province, not in another park."))
        if self._park is None and field.data and parks.next_code(field.data) is None:
            raise ValidationError(_l("This place holds %(n)d parks, the most it can.",
                                     n=parks.MAX_PER_PLACE))

    def validate_name(self, field):
        parent = self._park.parent_code if self._park else self.parent.data
        if parent and parks.name_taken(parent, field.data, self._park):
            raise ValidationError(_l("This place has a park of that name already."))


@bp.route("/admin/parks", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def park_list():
    form = ParkForm()
    if form.validate_on_submit():
        park = parks.create(given(form.parent.data), _values(form), current_user)
        flash(_("Saved: %(name)s (%(code)s).", name=park.name, code=park.code), "success")
        return redirect(url_for("regions.park_list"))
    return form_page("regions/parks.html", form=form, parks=parks.all_parks(),
                     full_name=regions.full_name)


@bp.route("/admin/parks/<int:park_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def park_edit(park_id: int):
    park = db.session.get(Park, park_id) or abort(404)
    form = ParkForm(park, obj=park)
    if request.method == "GET":
        form.parent.data = park.parent_code
    if form.validate_on_submit():
        parks.update(park, _values(form), current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("regions.park_list"))
    return form_page("regions/park_edit.html", form=form, park=park,
                     place=regions.full_name(park.parent_code, ui_language()))


def _values(form: ParkForm) -> dict:
    return {"name": form.name.data, "name_en": form.name_en.data or "",
            "aliases": form.aliases.data or "", "active": form.active.data}
