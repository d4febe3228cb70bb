"""Every Flask extension, created unbound; create_app() binds them."""
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import flask_babel
from flask import session
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, Result, Table
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations can drop/alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass `Model`, which is `db.Model`: Flask-SQLAlchemy builds it at run time from Base
# and its own mixins, so a type checker cannot see it as a class; this names the same shape.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(Base, _FlaskModel):
        __table__: ClassVar[Table]  # every model maps one table (the base says FromClause)
else:
    Model = db.Model


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: Session.execute() is typed as returning a
    Result, and for those statements it is a CursorResult, which counts them."""
    assert isinstance(result, CursorResult)
    return result.rowcount


class _LoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # A session without a login (a prospect's CSRF token) has nothing to protect. The stock
        # "strong" check would empty it on every view (its _id is never set), re-sign the
        # cookie and send a remember-cookie deletion: a Set-Cookie on every page (issue 33).
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = _LoginManager()
csrf = CSRFProtect()


class _RequestDomain(flask_babel.Domain):
    """The request's catalog, looked up once. Stock Flask-Babel resolves the locale and its
    catalog again for every string (a queue page translates about 250): a fifth of the page's
    time. The memo is the context's `babel_translations`, which Flask-Babel's own
    force_locale() and refresh() reset whenever the locale changes."""

    def get_translations(self):
        ctx = flask_babel._get_current_context()
        if ctx is None:
            return super().get_translations()
        translations = getattr(ctx, "babel_translations", None)
        if translations is None:
            translations = ctx.babel_translations = super().get_translations()
        return translations


class Babel(flask_babel.Babel):
    @cached_property
    def domain_instance(self):
        return _RequestDomain(domain=self.domain)


babel = Babel()
