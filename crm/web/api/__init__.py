"""The JSON API for partner sites and mini-programs (/api/v1): send an inquiry, read a
pasted message, and the OpenAPI document. Authenticated by the source site's key
(X-Api-Key), not by a session, so it is exempt from CSRF.
"""
from flask import Blueprint

from crm.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
