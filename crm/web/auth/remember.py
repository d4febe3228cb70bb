"""Remember-me: a cookie that brings a session back after the browser was closed.

It carries the user's session id (logout and a password change renew User.session_token,
which voids it) and the time of the login it continues, signed with the SECRET_KEY. The
server refuses it CRM_SESSION_MAX_HOURS after that login whatever the browser kept, and the
session it restores keeps that login time: the absolute timeout is never restarted.
Flask-Login's own remember cookie is not used (config.REMEMBER_COOKIE_NAME is a name nobody
sets); a cookie in its old format fails the signature and is deleted.
"""
import time
from dataclasses import dataclass

from flask import Request, Response, current_app, g
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "remember_token"


@dataclass(frozen=True)
class Remembered:
    session_id: str
    login_at: int


def _lifetime() -> int:
    return current_app.config["CRM_SESSION_MAX_HOURS"] * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="crm-remember-me")


def issue(session_id: str, login_at: int) -> None:
    """Set the cookie on this response, for the login made at `login_at`."""
    g.remember_cookie = (_serializer().dumps({"id": session_id, "login_at": login_at}), login_at)


def forget() -> None:
    g.remember_cookie = None


def read(request: Request) -> Remembered | None:
    """The login the request's cookie continues, or None (no cookie, forged, too old: a bad
    one is deleted with this response)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=_lifetime())
        remembered = Remembered(str(data["id"]), int(data["login_at"]))
    except (BadData, KeyError, TypeError, ValueError):
        forget()
        return None
    if not 0 <= time.time() - remembered.login_at <= _lifetime():
        forget()
        return None
    return remembered


def write_cookie(response: Response) -> Response:
    if "remember_cookie" not in g:
        return response
    config = current_app.config
    if g.remember_cookie is None:
        response.delete_cookie(COOKIE, httponly=True, secure=config["REMEMBER_COOKIE_SECURE"],
                               samesite=config["REMEMBER_COOKIE_SAMESITE"])
        return response
    value, login_at = g.remember_cookie
    response.set_cookie(COOKIE, value, max_age=max(0, login_at + _lifetime() - int(time.time())),
                        httponly=True, secure=config["REMEMBER_COOKIE_SECURE"],
                        samesite=config["REMEMBER_COOKIE_SAMESITE"])
    return response
