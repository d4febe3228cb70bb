"""Task names are spelled once, in crm.jobs: each names a task the worker registers, and
every task the worker registers and every beat entry goes by one of them."""
from crm import jobs
from workers.schedule import BEAT_SCHEDULE


def _constants() -> dict[str, str]:
    return {name: value for name, value in vars(jobs).items()
            if name.isupper() and isinstance(value, str) and value.startswith("workers.tasks.")}


def test_each_task_name_constant_names_a_registered_task(app):
    registered = {name for name in app.extensions["celery"].tasks if name.startswith("workers.")}
    assert set(_constants().values()) == set(jobs.TASK_NAMES)
    assert set(jobs.TASK_NAMES) == registered


def test_beat_schedules_only_named_tasks():
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(jobs.TASK_NAMES)
