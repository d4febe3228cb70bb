"""Web origins an admin types for a source site: https://zj.example.cn[:port], nothing else."""
import re
from urllib.parse import urlsplit

_HOST = re.compile(r"^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


def normalise_origin(text: str) -> str:
    """'HTTPS://Zj.Example.cn/' → 'https://zj.example.cn'; ValueError for anything else.

    The result goes into a Content-Security-Policy header, so only scheme, host and
    port survive: no path, query, spaces, quotes or semicolons.
    """
    raw = text.strip()
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(raw)
    host = (parts.hostname or "").lower()
    if not _HOST.match(host):
        raise ValueError(raw)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(raw) from exc
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


def parse_origins(text: str) -> list[str]:
    """One origin per line (or separated by spaces/commas); duplicates dropped, order kept."""
    out: list[str] = []
    for item in re.split(r"[\s,，]+", text or ""):
        if item:
            origin = normalise_origin(item)
            if origin not in out:
                out.append(origin)
    return out
