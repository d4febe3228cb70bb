"""The worker and beat build the Flask app exactly as the web process does, then load the tasks."""
from crm import create_app
from workers import broker_close
from workers.schedule import BEAT_SCHEDULE

broker_close.install()  # a worker that loses Redis with a task in flight reconnects (see there)

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE
import workers.tasks  # noqa: E402,F401  (registers the tasks with this app)
