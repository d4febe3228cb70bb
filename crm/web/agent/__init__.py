"""The agent's workspace: the lead queue and its export, a lead's page (follow-ups, stage
moves, edits, merges, listings offered), entering a lead by hand or from a pasted message,
and the manager's bulk reassignment.
"""
from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent")
