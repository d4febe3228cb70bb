"""Listings (对接资源): staff pages to enter, edit and delete them, their photos, the leads
each was shown to and how each fared (sent, opened, asked, visited, liked); and the public
pages a prospect opens from a post or a QR code, alone or embedded in a source site.
"""
from flask import Blueprint

bp = Blueprint("listings", __name__)
