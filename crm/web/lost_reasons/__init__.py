"""The list of reasons a lead can be lost for, which managers keep.
"""
from flask import Blueprint

bp = Blueprint("lost_reasons", __name__, url_prefix="/manage/lost-reasons")
