"""Routing settings (managers): the ordered routing rules, agents' availability, and the
notification channels.
"""
from flask import Blueprint

bp = Blueprint("routing_admin", __name__, url_prefix="/manage/routing")
