"""A contact's page (联系人: the person, all the needs the user may view, their repeats,
visits, recommendations and one timeline) and a company's page (企业: its contacts and
needs). Access follows the needs: crm.access.viewable_leads; queries: crm.leads.contacts.
"""
from flask import Blueprint

bp = Blueprint("contacts", __name__)
