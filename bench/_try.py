import sys
from config import TestConfig
from crm import create_app, parks
from crm.extensions import db
c = TestConfig(); c.SQLALCHEMY_DATABASE_URI = "sqlite://"
ctx = create_app(c).app_context(); ctx.push(); db.create_all(); parks.seed_defaults()
from crm.intake import message
for line in sys.stdin:
    if line.strip():
        print(line.strip()[:60], '=>', message.as_fields(message.read(line.strip())))
