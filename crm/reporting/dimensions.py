"""What a funnel or sources report can be broken down by.

To add one, append a Dimension. A dimension whose column is missing from this schema
(e.g. lead.source_site_id before the intake work lands) is simply not offered.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm import choices, reads, regions
from crm.i18n import ui_language
from crm.models import InquiryRepeat, Lead
from crm.models.sql import region_top


def _fk_names(column) -> Callable[[list], dict]:
    """Names for the ids of a foreign-key column, from the table it points to ('name')."""
    def names(values: list) -> dict:
        ids = [v for v in values if v is not None]
        for fk in getattr(column, "foreign_keys", ()):
            target = fk.column.table
            if "name" in target.c and ids:
                rows = reads.session().execute(select(target.c.id, target.c.name)
                                               .where(target.c.id.in_(ids)))
                return {row[0]: row[1] for row in rows}
        return {}
    return names


fk_names = _fk_names  # for other reports' own dimensions (crm.reporting.deals)


def _choice_names(mapping: dict) -> Callable[[list], dict]:
    return lambda values: {v: choices.label(mapping, v) for v in values if v is not None}


def _region_names(values: list) -> dict:
    locale = ui_language()
    return {v: regions.full_name(v, locale) or v for v in values if v}


@dataclass(frozen=True)
class Dimension:
    key: str
    label: object
    column: Callable[[], Any]              # the SQL expression, or None if not in the schema
    names: Callable[[list], dict] = lambda values: {}
    # The same on inquiry_repeat, for the dimensions a repeat inquiry has (where it came from).
    repeat_column: Callable[[], Any] = lambda: None

    def expression(self):
        return self.column()

    def display(self, values: list) -> dict:
        """value → text to show; empty and unknown values read as '(none)'."""
        known = self.names(values)
        return {v: (str(known.get(v) or v) if v not in (None, "") else _("(none)"))
                for v in values}


def _source_site():
    return getattr(Lead, "source_site_id", None)


DIMENSIONS: list[Dimension] = [
    Dimension("source_site", _l("Source site"), _source_site,
              lambda values: _fk_names(_source_site())(values),
              lambda: InquiryRepeat.source_site_id),
    Dimension("page", _l("Source page"), lambda: Lead.page_url,
              repeat_column=lambda: InquiryRepeat.page_url),
    Dimension("utm_source", _l("UTM source"), lambda: Lead.utm_source,
              repeat_column=lambda: InquiryRepeat.utm_source),
    Dimension("utm_medium", _l("UTM medium"), lambda: Lead.utm_medium,
              repeat_column=lambda: InquiryRepeat.utm_medium),
    Dimension("utm_campaign", _l("UTM campaign"), lambda: Lead.utm_campaign,
              repeat_column=lambda: InquiryRepeat.utm_campaign),
    Dimension("channel", _l("Channel"), lambda: Lead.channel, _choice_names(choices.CHANNELS),
              lambda: InquiryRepeat.channel),
    Dimension("region", _l("Region"), lambda: region_top(Lead.region_code), _region_names),
    Dimension("property_type", _l("Property type"), lambda: Lead.property_type,
              _choice_names(choices.PROPERTY_TYPES)),
    Dimension("industry", _l("Industry track"), lambda: Lead.industry,
              _choice_names(choices.INDUSTRIES)),
    Dimension("team", _l("Team"), lambda: Lead.team_id, _fk_names(Lead.team_id)),
    Dimension("agent", _l("Agent"), lambda: Lead.assigned_to_id, _fk_names(Lead.assigned_to_id)),
]
# The sources report breaks down by where leads came from only.
SOURCE_KEYS = ("source_site", "page", "utm_source", "utm_medium", "utm_campaign", "channel")


def available(keys: tuple[str, ...] | None = None) -> list[Dimension]:
    return [d for d in DIMENSIONS
            if d.expression() is not None and (keys is None or d.key in keys)]


def get(key: str | None, keys: tuple[str, ...] | None = None) -> Dimension | None:
    return next((d for d in available(keys) if d.key == key), None)
