"""The worker builds the Flask app exactly as the web process does."""
from crm import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
