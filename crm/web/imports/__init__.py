"""Importing leads from a spreadsheet (managers): upload, map the columns, a dry run, then
the import itself with its progress; the reading and capture run as tasks.
"""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/manage/import")
