"""Thin views over crm.leads.contacts; a contact or company the user may not see is a 404
(whether it exists is not told)."""
from flask import abort, render_template
from flask_login import current_user, login_required

from crm import access
from crm.leads import contacts
from crm.privacy import audit
from crm.web.contacts import bp


def _render_contact(contact_id: int, revealed: bool = False):
    page = contacts.contact_page(current_user, contact_id) or abort(404)
    person = page.contact
    full = revealed or page.full_mobile
    return render_template(
        "contacts/contact.html", page=page, person=person, full=full,
        mobile=person.mobile_display if full else access.mask_mobile(person.mobile_e164 or ""),
        wechat_id=person.wechat_id if full else access.mask_text(person.wechat_id or ""),
        email=person.email if full else access.mask_text(person.email))


@bp.route("/contacts/<int:contact_id>")
@login_required
def contact(contact_id: int):
    return _render_contact(contact_id)


@bp.route("/contacts/<int:contact_id>/reveal", methods=["POST"])
@login_required
def reveal(contact_id: int):
    """One reveal for the person, audited once (not once per need)."""
    if not access.can_view_contact(current_user, contact_id):
        abort(404)
    audit.record_access(current_user, "reveal_contact", "contact", contact_id)
    return _render_contact(contact_id, revealed=True)


@bp.route("/companies/<int:company_id>")
@login_required
def company(company_id: int):
    page = contacts.company_page(current_user, company_id) or abort(404)
    return render_template("contacts/company.html", page=page, company=page.company)
