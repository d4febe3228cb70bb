"""For load balancers and monitoring, never for people: liveness, readiness, and metrics.
"""
from flask import Blueprint

bp = Blueprint("ops", __name__)
