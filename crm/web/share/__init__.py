"""What is opened by token, without logging in: the prospect's recommendation page (/r/<token>:
the listings sent and the agent only, never indexed, no referrer, visit requests rate-limited
like an inquiry) and an agent's calendar feed (/calendar/<token>.ics) for their calendar app.
"""
from flask import Blueprint

bp = Blueprint("share", __name__)
