"""Manager reports: dashboard, funnel, speed to lead, ranking, pipeline, sources, and their
exports. Who sees what is decided by crm.access and crm.reporting.scope, not here.
"""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
