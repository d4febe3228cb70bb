"""Places: the region picker's search (public: the inquiry form and its embed use it; no
personal data, rate-limited per address) and the parks admins keep under counties.
"""
from flask import Blueprint

bp = Blueprint("regions", __name__)
