"""Logging in and out, the remembered-login cookie, and a user's own account: contact
details shown to prospects, password, and the agenda's calendar-feed link.
"""
from flask import Blueprint

bp = Blueprint("auth", __name__)
