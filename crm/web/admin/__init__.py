"""Admin pages: users and teams, the lead-intake policy and branding, the audit log, and
PIPL requests (a person's copy or erasure). Every view is for the admin role.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
