"""Addresses the CRM may post notifications to: https on the public internet only.

A webhook or chat-robot URL is typed by a manager and fetched by our workers, so it must
never point them at our own network (SSRF): https only, no user:password, and no host that
is or resolves to a private, loopback, link-local or reserved address. Local http is allowed
only where the settings say so (the tests' own servers on 127.0.0.1).
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

REFUSED = {
    "scheme": _l("Please enter an https:// address."),
    "credentials": _l("Please leave user names and passwords out of the address."),
    "private": _l("This address is inside a private network; notifications go to public "
                  "https addresses only."),
    "unresolvable": _l("This host cannot be found."),
}


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def problem(url: str, allow_local: bool = False, resolve: bool = False) -> str | None:
    """Why the URL is refused (a key of REFUSED), or None. With `resolve`, the host's DNS
    answers are checked too (at delivery, so a name cannot be re-pointed after saving)."""
    return check(url, allow_local, resolve)[0]


def check(url: str, allow_local: bool = False,
          resolve: bool = False) -> tuple[str | None, list[str]]:
    """(why refused, the addresses to connect to). With `resolve` the host is looked up once
    and the addresses returned are the ones that were checked: the caller connects to them,
    never to the name again, so a second DNS answer (rebinding) cannot lead inside."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host in ("127.0.0.1", "localhost", "::1")
    if parts.username or parts.password:
        return "credentials", []
    if parts.scheme != "https" and not (allow_local and local and parts.scheme == "http"):
        return "scheme", []
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None  # a name, not an address
    if allow_local and local:
        return None, []  # the tests' own servers: connected to by name
    if literal is not None:
        return (None, [str(literal)]) if _is_public(host) else ("private", [])
    if host.endswith((".local", ".internal", ".localhost", ".lan")) or "." not in host:
        return "private", []
    if not resolve:
        return None, []
    try:
        answers = _answers(host, parts.port)
    except OSError:
        return "unresolvable", []
    if not answers or not all(_is_public(a) for a in answers):
        return "private", []
    return None, answers


def _answers(host: str, port: int | None) -> list[str]:
    # Scope ids ("fe80::1%eth0") are dropped: the address alone decides.
    found = [str(info[4][0]).split("%")[0] for info in socket.getaddrinfo(host, port or 443,
                                                                       type=socket.SOCK_STREAM)]
    return list(dict.fromkeys(found))

