"""Role checks, done server-side on every protected route."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

RANK = {"agent": 0, "manager": 1, "admin": 2}


def role_required(role: str):
    """Allow users whose role is `role` or above (admin ⊃ manager ⊃ agent)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if RANK.get(current_user.role, -1) < RANK[role]:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
