"""China's working calendar (admins): the holidays and make-up workdays (调休) of each year,
edited a day at a time or by pasting the State Council's notice. Not the agents' agenda
(crm/web/visits), though both say "calendar".
"""
from flask import Blueprint

bp = Blueprint("workcalendar", __name__, url_prefix="/admin/calendar")
