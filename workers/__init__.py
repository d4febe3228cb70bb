"""Celery side of Changfang CRM: the worker entry point, the tasks and beat's schedule.

`celery -A workers worker` asks this package for `app`; it is built lazily so that
importing `workers.tasks` (the in-process mode of crm.jobs) does not build a Flask app.
"""


def __getattr__(name: str):
    if name in ("app", "celery"):
        from workers.entry import celery_app
        return celery_app
    raise AttributeError(name)
