"""What the pipeline forms say: a need's expected value and close date, and a team's stage
probabilities (赢单概率). Built by the forms' to_input(); the services in crm.leads.pipeline
take nothing else."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crm.choices import OPEN_STATUSES

PCT_MIN, PCT_MAX = 0, 100


@dataclass(frozen=True, slots=True)
class Expectation:
    """预计金额 in 万元 (None: not known) and 预计成交日期 (None: not known)."""
    value_wan: Decimal | None
    close_on: date | None

    def __post_init__(self):
        if self.value_wan is not None and self.value_wan < 0:
            raise ValueError("an expected value is never negative")

    def lead_columns(self) -> dict:
        return {"expected_value_wan": self.value_wan, "expected_close_on": self.close_on}


@dataclass(frozen=True, slots=True)
class StageProbabilities:
    """A whole percent for each open stage, in crm.choices.OPEN_STATUSES order."""
    pcts: tuple[tuple[str, int], ...]

    def __post_init__(self):
        for stage, pct in self.pcts:
            if stage not in OPEN_STATUSES:
                raise ValueError(f"not an open stage: {stage!r}")
            if not isinstance(pct, int) or not PCT_MIN <= pct <= PCT_MAX:
                raise ValueError(f"a probability is a whole percent from 0 to 100, not {pct!r}")

    def as_dict(self) -> dict[str, int]:
        return dict(self.pcts)
