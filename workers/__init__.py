"""Celery side of Changfang CRM.

`celery -A workers worker` asks this package for `app`; it is built lazily so that
the web process, which imports workers.celery_app from create_app(), does not
build a second Flask app on import.
"""


def __getattr__(name: str):
    if name in ("app", "celery"):
        from workers.entry import celery_app
        return celery_app
    raise AttributeError(name)
