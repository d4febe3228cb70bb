"""Manager and admin pages about where leads come from: the source sites (admin) and the
spam review queue (manager).
"""
from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
