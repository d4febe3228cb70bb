"""The staff side of showing listings to a lead: recommendations sent to a prospect (the
link, its QR code, revoking it), site visits (看厂: scheduling, the visit, the prospect's
verdicts) and the agent's agenda. The pages a prospect or a calendar app opens by token are
crm/web/share; the working calendar (调休) is crm/web/workcalendar.
"""
from flask import Blueprint

bp = Blueprint("visits", __name__)
