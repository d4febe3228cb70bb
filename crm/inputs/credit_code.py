"""Unified social credit code (统一社会信用代码, GB 32100-2015)."""
from stdnum import exceptions
from stdnum.cn import uscc

from crm.inputs.text import clean_text, to_halfwidth


def normalise_credit_code(raw) -> tuple[str, bool | None]:
    """Return (code, checksum_ok). Empty input gives ('', None).

    A wrong check character is reported, not refused: some early codes carry one.
    Wrong length or alphabet raises ValueError.
    """
    code = to_halfwidth(clean_text(raw, max_length=40)).upper().replace(" ", "").replace("-", "")
    if not code:
        return "", None
    try:
        return uscc.validate(code), True
    except exceptions.InvalidChecksum:
        return code, False
    except exceptions.ValidationError as exc:
        raise ValueError(str(exc)) from exc
