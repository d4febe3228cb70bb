"""A report's figures as tables: what the page shows under each chart and what exports write."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy string: translated when rendered
    kind: str = "int"  # text, int, pct (0..1), minutes, days, wan (万元), sqm


@dataclass
class Table:
    name: str
    title: object
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    footer: dict | None = None  # a totals row, when there is one

    def all_rows(self) -> list[dict]:
        return self.rows + ([self.footer] if self.footer else [])


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)
