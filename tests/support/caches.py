"""The process-wide caches a test must start without, listed once.

Each holds rows of the database it was filled from (the working calendar, the branding
and intake-policy settings, the parks); the next test has a database of its own. A new
process-wide cache in crm/ is added here, and every app fixture forgets it too.
"""
from crm import branding, regions
from crm.intake import policy
from crm.workdays import days

FORGETS = (days.forget, branding.forget, policy.forget, regions.forget)


def forget_all() -> None:
    for forget in FORGETS:
        forget()
