"""What a prospect sees without logging in: the inquiry form (standalone and embedded in a
source site), the thank-you pages, the privacy notice and the language switch.
"""
from flask import Blueprint

bp = Blueprint("public", __name__)
