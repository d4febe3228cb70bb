"""One cleaner for every request: query args, form fields, JSON strings at any depth and
the headers the app reads all pass through crm.inputs.text.scrub before any view, so no
view, form or query ever sees a NUL (PostgreSQL refuses it), a control character or a
lone surrogate (UTF-8 cannot encode it)."""
from flask import Flask, abort, request
from werkzeug.datastructures import EnvironHeaders, ImmutableMultiDict, MultiDict

from crm.inputs.text import scrub, scrub_json
from crm.web.security import Request


def _scrubbed(value):
    return scrub(value) if isinstance(value, str) else value


class CleanMultiDict(ImmutableMultiDict):
    """Args and form as Werkzeug parses them, keys and text values scrubbed (uploaded
    files pass as they are)."""

    def __init__(self, mapping=None):
        if isinstance(mapping, MultiDict):
            pairs = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            pairs = mapping.items()
        else:
            pairs = mapping or ()
        super().__init__([(_scrubbed(k), _scrubbed(v)) for k, v in pairs])


class CleanHeaders(EnvironHeaders):
    def _get_key(self, key):  # behind [], get() and `in`
        return _scrubbed(super()._get_key(key))

    def __iter__(self):
        for key, value in super().__iter__():
            yield key, _scrubbed(value)


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict

    def __init__(self, environ, populate_request=True, shallow=False):
        super().__init__(environ, populate_request, shallow)
        self.headers = CleanHeaders(environ)

    def get_json(self, force=False, silent=False, cache=True):
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:  # absurd nesting: no JSON a client means
            if silent:
                return None
            return self.on_json_loading_failed(None)
        try:
            return scrub_json(value)
        except RecursionError:
            return None if silent else self.on_json_loading_failed(None)


def _control_in_path():
    # A NUL or control character in a path segment (/r/abc%00) names no page: a 404
    # before a view would look it up in the database.
    if any(ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f for ch in request.path):
        abort(404)


def init_request_cleaning(app: Flask) -> None:
    # After init_security, whose Request (upload limits) this one extends.
    app.request_class = CleanRequest
    app.before_request_funcs.setdefault(None, []).insert(0, _control_in_path)
